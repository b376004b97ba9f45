package dev.anvil.model.chat;

import java.util.List;

/**
 * Turns a conversation into the prompt text a chat model was trained on. Two formats are built in:
 * <ul>
 *   <li>{@link #CHATML}: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, and
 *       {@code <|im_start|>assistant\n} to prompt the answer (Qwen, SmolLM, many fine-tunes);</li>
 *   <li>{@link #LLAMA3}: {@code <|begin_of_text|>}, then
 *       {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>} per message, and the
 *       assistant header to prompt the answer.</li>
 * </ul>
 * A model's stored Jinja template ({@code tokenizer_config.json} {@code chat_template}, GGUF
 * {@code tokenizer.chat_template}) is honoured by recognising which of these it is
 * ({@link #recognise}); a Jinja interpreter is not part of Anvil.
 */
public enum ChatTemplate {
    CHATML("<|im_end|>"),
    LLAMA3("<|eot_id|>");

    /** One turn of a conversation; role is system, user or assistant. */
    public record Message(String role, String content) {
        public Message {
            if (role == null || role.isBlank()) throw new IllegalArgumentException("chat message: role is missing");
            if (content == null) throw new IllegalArgumentException("chat message: content is missing");
        }
    }

    private final String endOfTurn;

    ChatTemplate(String endOfTurn) {
        this.endOfTurn = endOfTurn;
    }

    /** The text that ends a message (the model's end-of-turn): a stop string for generation. */
    public String endOfTurn() {
        return endOfTurn;
    }

    /** The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's answer begins. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder b = new StringBuilder();
        switch (this) {
            case CHATML -> {
                for (Message m : messages) b.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                if (addGenerationPrompt) b.append("<|im_start|>assistant\n");
            }
            case LLAMA3 -> {
                b.append("<|begin_of_text|>");
                for (Message m : messages) {
                    b.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n").append(m.content().strip()).append("<|eot_id|>");
                }
                if (addGenerationPrompt) b.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
        }
        return b.toString();
    }

    /**
     * This format as a Jinja chat template, the form {@code tokenizer_config.json}'s
     * {@code chat_template} and GGUF's {@code tokenizer.chat_template} store: rendering it with
     * {@code messages} and {@code add_generation_prompt} (transformers' {@code apply_chat_template},
     * llama.cpp's template engine) gives exactly {@link #render}'s text, and {@link #recognise} maps
     * it back to this constant.
     */
    public String jinja() {
        return switch (this) {
            case CHATML -> "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
            case LLAMA3 -> "{{ '<|begin_of_text|>' }}{% for message in messages %}"
                    + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
        };
    }

    /** Which built-in format a stored Jinja chat template produces, or an error naming what is supported. */
    public static ChatTemplate recognise(String jinja) {
        if (jinja.contains("<|im_start|>") && jinja.contains("<|im_end|>")) return CHATML;
        if (jinja.contains("<|start_header_id|>") && jinja.contains("<|eot_id|>")) return LLAMA3;
        throw new IllegalArgumentException("the model's chat template is not one Anvil knows (supported: ChatML, Llama 3); pass --template chatml|llama3");
    }

    public static ChatTemplate parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT).replace("-", "").replace("_", "")) {
            case "chatml" -> CHATML;
            case "llama3" -> LLAMA3;
            default -> throw new IllegalArgumentException("chat template must be chatml or llama3, got '" + name + "'");
        };
    }
}
