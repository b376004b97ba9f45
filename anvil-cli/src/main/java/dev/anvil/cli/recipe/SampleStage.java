package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.model.inference.Generator;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.SamplingParams;
import dev.anvil.model.TrainedModel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;

/** {@code anvil generate} for each prompt of the recipe (seed + prompt index), written to samples.json and samples.txt. */
final class SampleStage implements Stage {
    @Override
    public String name() {
        return "sample";
    }

    @Override
    public List<String> consumes() {
        return List.of("train");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("sample");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        return 2 + 0.01 * ctx.recipe().sample().prompts().size() * ctx.recipe().sample().maxTokens();
    }

    @Override
    public Result run(StageContext ctx) throws Exception {
        Recipe.Sample spec = ctx.recipe().sample();
        TrainedModel m = TrainedModel.load(ctx.dir("train"));
        Set<Integer> stop = m.tokenizer().documentSeparator().isPresent() ? Set.of(m.tokenizer().documentSeparator().getAsInt()) : Set.of();
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        ArrayNode samples = s.putArray("samples");
        StringBuilder txt = new StringBuilder();
        List<String> prompts = spec.prompts();
        for (int i = 0; i < prompts.size(); i++) {
            String prompt = prompts.get(i);
            int[] ids = m.tokenizer().encode(prompt);
            if (ids.length == 0) {
                if (stop.isEmpty()) throw new IllegalArgumentException("sample.prompts[" + i + "]: an empty prompt needs a tokenizer with a document separator");
                ids = new int[] {stop.iterator().next()};
            }
            if (ids.length >= m.config().contextLength()) throw new IllegalArgumentException("sample.prompts[" + i + "] is " + ids.length + " tokens, the model's context is " + m.config().contextLength());
            SamplingParams sampling = new SamplingParams(spec.temperature(), spec.topK(), spec.topP(), spec.minP(), spec.repetitionPenalty(), 0, 0, spec.seed() + i);
            int maxTokens = Math.min(spec.maxTokens(), m.config().contextLength() - ids.length);
            Generator g = new Generator(new InferenceSession(m.config(), m.parameters()), m.tokenizer()::decode, Math.min(m.tokenizer().vocabSize(), m.config().vocabSize()));
            final int index = i;
            int[] produced = {0};
            Generator.Result r = g.generate(ids, new GenerationConfig(sampling, maxTokens, stop, List.of()), (token, text) -> {
                produced[0]++;
                ctx.progress().update((index + produced[0] / (double) maxTokens) / prompts.size(), "prompt " + (index + 1) + "/" + prompts.size());
            });
            ObjectNode one = samples.addObject();
            one.put("prompt", prompt);
            one.put("completion", r.text());
            one.put("tokens", r.tokens().length);
            one.put("stop", r.stopReason().name().toLowerCase());
            txt.append("=== ").append(prompt).append('\n').append(prompt).append(r.text()).append("\n\n");
        }
        Files.writeString(ctx.dir().resolve("samples.txt"), txt, StandardCharsets.UTF_8);
        new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(ctx.dir().resolve("samples.json").toFile(), samples);
        ctx.log().print(txt);
        return new Result(s, List.of("sample/samples.json", "sample/samples.txt"));
    }
}
