#pragma once
// The compression codecs a Kafka record batch can carry (attributes bits 0-2),
// and the compression levels the producer may ask for (KIP-390).
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::compression {

enum class Codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

/// Kafka's name for the codec, as in `compression.type`.
std::string_view codec_name(Codec codec) noexcept;
/// Parses a `compression.type` value ("none", "gzip", "snappy", "lz4", "zstd").
std::optional<Codec> parse_codec(std::string_view name) noexcept;

/// "Use the codec's default level". Chosen outside every codec's range: -1 is a
/// real zstd level (and gzip's "zlib default"), 0 is a real zstd level too.
inline constexpr int kDefaultLevel = std::numeric_limits<int>::min();

/// A codec's level range and default, as Kafka's producer validates
/// `compression.<codec>.level` (KIP-390; CompressionType.java, Kafka 3.8+).
struct LevelRange {
  int min;
  int max;
  int kafka_default;  ///< what Kafka's producer config defaults to
};

/// gzip: 1 (fastest) .. 9 (smallest). Kafka also accepts -1, its default, which
/// is zlib's Z_DEFAULT_COMPRESSION (level 6).
inline constexpr LevelRange kGzipLevels{1, 9, -1};
/// lz4: 1..17, default 9. Like Kafka's Java client (Lz4BlockOutputStream) the
/// default level 9 selects LZ4's fast compressor, any other level the
/// high-compression one. liblz4's frame API compresses levels 1 and 2 with the
/// fast compressor as well (lz4-java would use HC), which only changes ratio.
inline constexpr LevelRange kLz4Levels{1, 17, 9};
/// zstd: ZSTD_minCLevel() (-131072, = -ZSTD_TARGETLENGTH_MAX) .. 22, default 3.
/// Negative levels trade ratio for speed; 0 means zstd's default (3).
inline constexpr LevelRange kZstdLevels{-131072, 22, 3};

/// The codec's level range; nullopt for `none` and `snappy`, which have no levels.
std::optional<LevelRange> level_range(Codec codec) noexcept;

/// Kafka's default level for the codec (gzip -1, lz4 9, zstd 3); kDefaultLevel
/// for codecs without levels.
int default_level(Codec codec) noexcept;

/// True if `level` may be passed to compress() with this codec: kDefaultLevel
/// always; otherwise a value Kafka's producer would accept for
/// `compression.<codec>.level` (gzip also -1). `none` and `snappy` accept only
/// kDefaultLevel.
bool is_valid_level(Codec codec, int level) noexcept;

/// Parses a `compression.<codec>.level` value: a decimal integer (optional sign,
/// surrounding ASCII whitespace ignored, as Kafka's ConfigDef trims), valid for
/// the codec per is_valid_level. nullopt if malformed or out of range, and always
/// for `none`/`snappy`.
std::optional<int> parse_level(Codec codec, std::string_view text) noexcept;

}  // namespace kwire::compression

KWIRE_PUBLIC_END
