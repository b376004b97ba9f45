package dev.anvil.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class RunCheckpointsTest {

    @Test
    void roundTripKeepLastNAndIgnoreInterruptedWrites(@TempDir Path run) throws Exception {
        ModelConfig c = ModelConfig.gpt2(30, 8, 1, 2, 8, true);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(1));
        AdamW opt = new AdamW(net.parameters(), net.gradients(), ParameterGroup.all(net.parameters().layout(), 0.1), AdamW.Config.defaults());
        new Rng(2).fillNormal(net.gradients().data(), 0, net.gradients().data().length, 0, 1);
        opt.step(1e-3);
        RunCheckpoints ck = new RunCheckpoints(run);
        var json = new ObjectMapper();
        for (int step = 1; step <= 4; step++) {
            ck.write(step, c, net.parameters(), opt, json.createObjectNode().put("step", step), json.createObjectNode());
            ck.prune(2);
        }
        assertThat(ck.complete()).extracting(p -> p.getFileName().toString()).containsExactly("step_000003", "step_000004");

        // A write killed half-way leaves only a .tmp- directory: never taken for a checkpoint, removed on the next start.
        Path torn = ck.directory().resolve(".tmp-step_000005");
        Files.createDirectories(torn);
        Files.write(torn.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThat(ck.latest().orElseThrow().step()).isEqualTo(4);
        ck.removeIncomplete();
        assertThat(torn).doesNotExist();

        Transformer back = new Transformer(c);
        AdamW opt2 = new AdamW(back.parameters(), back.gradients(), ParameterGroup.all(back.parameters().layout(), 0.1), AdamW.Config.defaults());
        RunCheckpoints.load(ck.latest().orElseThrow(), c, back.parameters(), opt2);
        assertThat(back.parameters().data()).containsExactly(net.parameters().data());
        AdamW.State a = opt.exportState(), b = opt2.exportState();
        assertThat(b.step()).isEqualTo(a.step());
        assertThat(b.m()).containsExactly(a.m());
        assertThat(b.v()).containsExactly(a.v());
    }
}
