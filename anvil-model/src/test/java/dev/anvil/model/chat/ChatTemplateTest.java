package dev.anvil.model.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplateTest {

    private static final List<ChatTemplate.Message> CONVERSATION = List.of(
            new ChatTemplate.Message("system", "You are terse."),
            new ChatTemplate.Message("user", "Hi!"),
            new ChatTemplate.Message("assistant", "Hello."),
            new ChatTemplate.Message("user", "2+2?"));

    @Test
    void chatmlMatchesTheReferenceRendering() {
        // The ChatML format with the generation prompt (as Qwen's stored template renders it).
        assertThat(ChatTemplate.CHATML.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void llama3MatchesTheReferenceRendering() {
        assertThat(ChatTemplate.LLAMA3.render(CONVERSATION.subList(0, 2), true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(ChatTemplate.LLAMA3.render(CONVERSATION.subList(1, 2), false))
                .isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>");
    }

    @Test
    void storedTemplatesAreRecognised() {
        String qwen = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        String llama3 = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
                + "+ message['content'] | trim + '<|eot_id|>' }}{% endfor %}";
        assertThat(ChatTemplate.recognise(qwen)).isEqualTo(ChatTemplate.CHATML);
        assertThat(ChatTemplate.recognise(llama3)).isEqualTo(ChatTemplate.LLAMA3);
        assertThatThrownBy(() -> ChatTemplate.recognise("[INST] {{ message }} [/INST]")).hasMessageContaining("supported: ChatML, Llama 3");
        assertThat(ChatTemplate.parse("llama-3")).isEqualTo(ChatTemplate.LLAMA3);
        // What an export stores is recognised as what it was.
        for (ChatTemplate t : ChatTemplate.values()) assertThat(ChatTemplate.recognise(t.jinja())).isEqualTo(t);
    }
}
