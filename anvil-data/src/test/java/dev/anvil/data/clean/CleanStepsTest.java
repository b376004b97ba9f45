package dev.anvil.data.clean;

import dev.anvil.data.Document;
import org.junit.jupiter.api.Test;

import java.text.Normalizer;

import static org.assertj.core.api.Assertions.assertThat;

class CleanStepsTest {
    @Test
    void normalizationAndControlCharacters() {
        UnicodeNormalizer nfc = new UnicodeNormalizer(Normalizer.Form.NFC);
        UnicodeNormalizer nfkc = new UnicodeNormalizer(Normalizer.Form.NFKC);
        String raw = "\uFEFFCafe\u0301 \uFB01ne\u200B  \r\nline\u0007 two\t\u0000\r\n\uD800end";
        assertThat(nfc.clean(raw)).isEqualTo("Café \uFB01ne\nline two\nend");
        assertThat(nfkc.clean(raw)).isEqualTo("Café fine\nline two\nend");
        assertThat(nfc.apply(new Document("0", " \u0000\u200B ")).removalReason()).isEqualTo("empty_after_normalize");
        assertThat(nfc.clean("👩\u200D💻 emoji")).isEqualTo("👩\u200D💻 emoji");
    }

    @Test
    void piiRedaction() {
        PiiRedactor pii = new PiiRedactor(true, true, true);
        String text = "Mail john.doe+list@example.co.uk or admin@localhost.org; server 192.168.1.20 and 2001:db8::8a2e:370:7334, "
                + "also fe80:0:0:0:200:f8ff:fe21:67cf. Call +1 (555) 123-4567 or 555-123-4567. Version 1.2.3.4.5 stays, "
                + "time 12:30 stays, 999.1.1.1 stays.";
        assertThat(pii.redact(text)).isEqualTo("Mail <EMAIL> or <EMAIL>; server <IP_ADDRESS> and <IP_ADDRESS>, "
                + "also <IP_ADDRESS>. Call <PHONE> or <PHONE>. Version 1.2.3.4.5 stays, time 12:30 stays, 999.1.1.1 stays.");
        assertThat(PiiRedactor.defaults().redact("call 555-123-4567")).isEqualTo("call 555-123-4567");
    }
}
