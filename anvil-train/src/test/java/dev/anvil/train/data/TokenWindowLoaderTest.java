package dev.anvil.train.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenWindowLoaderTest {

    /** Shard s holds tokens 1000·s + i, so every window shows where it came from. */
    private static List<TokenShardReader> shards(Path dir, int... sizes) throws IOException {
        List<TokenShardReader> out = new ArrayList<>();
        for (int s = 0; s < sizes.length; s++) {
            Path f = dir.resolve("train_" + s + ".bin");
            try (TokenShardWriter w = new TokenShardWriter(f, 10_000)) {
                for (int i = 0; i < sizes[s]; i++) w.write(1000 * s + i);
            }
            out.add(new TokenShardReader(f));
        }
        return out;
    }

    @Test
    void windowsAreConsecutiveTokensWithShiftedTargets(@TempDir Path dir) throws IOException {
        var loader = new TokenWindowLoader(shards(dir, 300, 50, 200), 4, 16, TokenWindowLoader.Order.RANDOM, 42, 10_000);
        int[] x = new int[64], y = new int[64];
        for (int batch = 0; batch < 50; batch++) {
            loader.next(x, y);
            for (int b = 0; b < 4; b++) {
                int shard = x[b * 16] / 1000;
                for (int t = 0; t < 16; t++) {
                    assertThat(x[b * 16 + t]).isEqualTo(x[b * 16] + t);
                    assertThat(y[b * 16 + t]).isEqualTo(x[b * 16 + t] + 1);
                    assertThat(y[b * 16 + t] / 1000).as("a window never crosses shards").isEqualTo(shard);
                }
            }
        }
    }

    @Test
    void sameSeedSameBatchesAndRestoredPositionContinuesExactly(@TempDir Path dir) throws IOException {
        for (TokenWindowLoader.Order order : TokenWindowLoader.Order.values()) {
            List<TokenShardReader> s = shards(dir.resolve(order.name()), 300, 120);
            var a = new TokenWindowLoader(s, 3, 10, order, 7, 10_000);
            var b = new TokenWindowLoader(s, 3, 10, order, 7, 10_000);
            int[] xa = new int[30], ya = new int[30], xb = new int[30], yb = new int[30];
            TokenWindowLoader.Position saved = null;
            List<int[]> after = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                a.next(xa, ya);
                b.next(xb, yb);
                assertThat(xb).containsExactly(xa);
                if (i == 17) saved = a.position();
                if (i > 17) after.add(xa.clone());
            }
            var c = new TokenWindowLoader(s, 3, 10, order, 999, 10_000);
            c.restore(saved);
            for (int[] expected : after) {
                c.next(xa, ya);
                assertThat(xa).as(order + " after restore").containsExactly(expected);
            }
        }
    }

    @Test
    void differentSeedsDiffer(@TempDir Path dir) throws IOException {
        List<TokenShardReader> s = shards(dir, 5000);
        int[] x1 = new int[64], x2 = new int[64], y = new int[64];
        new TokenWindowLoader(s, 4, 16, TokenWindowLoader.Order.RANDOM, 1, 10_000).next(x1, y);
        new TokenWindowLoader(s, 4, 16, TokenWindowLoader.Order.RANDOM, 2, 10_000).next(x2, y);
        assertThat(x1).isNotEqualTo(x2);
    }

    @Test
    void sequentialOrderWalksThroughShardsAndWraps(@TempDir Path dir) throws IOException {
        var loader = new TokenWindowLoader(shards(dir, 25, 25), 1, 10, TokenWindowLoader.Order.SEQUENTIAL, 0, 10_000);
        int[] x = new int[10], y = new int[10];
        int[] starts = new int[6];
        for (int i = 0; i < 6; i++) {
            loader.next(x, y);
            starts[i] = x[0];
        }
        assertThat(starts).containsExactly(0, 10, 1000, 1010, 0, 10);
    }

    @Test
    void shortShardsAndForeignTokensAreClearErrors(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> new TokenWindowLoader(shards(dir.resolve("a"), 10), 1, 10, TokenWindowLoader.Order.RANDOM, 0, 10_000))
                .hasMessageContaining("fewer than one window of 11");
        var loader = new TokenWindowLoader(shards(dir.resolve("b"), 100), 1, 10, TokenWindowLoader.Order.SEQUENTIAL, 0, 50);
        int[] x = new int[10], y = new int[10];
        assertThatThrownBy(() -> { for (int i = 0; i < 10; i++) loader.next(x, y); })
                .hasMessageContaining("outside the model's vocabulary of 50");
    }
}
