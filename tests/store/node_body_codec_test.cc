// The compressed form of node rows: every body comes back byte for byte,
// rows written today read forever, and a damaged row is an error, never a
// wrong body.
#include "store/node_body_codec.h"

#include <random>

#include <gtest/gtest.h>

namespace skiff::store {
namespace {

const std::string kPodBody =
    R"json({"boundaryID":"hello-1741394721","displayName":"work(7:seven)","finishedAt":"2026-11-23T12:00:01Z",)json"
    R"json("hostNodeName":"localhost","id":"hello-2039487190","name":"hello[0].work(7:seven)",)json"
    R"json("outputs":{"exitCode":"0","result":""},"phase":"Succeeded","progress":"1/1",)json"
    R"json("resourcesDuration":{"cpu":1,"memory":1},"startedAt":"2026-11-23T12:00:00Z","templateName":"work",)json"
    R"json("templateScope":"local/hello","type":"Pod"})json";

std::string round_trip(NodeBodyCodec& codec, const std::string& json) {
  auto row = codec.encode(json);
  EXPECT_TRUE(row.is_ok()) << row.status().message();
  if (!row) return {};
  EXPECT_TRUE(NodeBodyCodec::is_compressed(*row));
  auto back = codec.decode(*row);
  EXPECT_TRUE(back.is_ok()) << back.status().message();
  return back ? *back : std::string("<error>");
}

TEST(NodeBodyCodecTest, EveryBodyComesBackByteForByte) {
  NodeBodyCodec codec;
  EXPECT_EQ(round_trip(codec, kPodBody), kPodBody);
  EXPECT_EQ(round_trip(codec, ""), "");
  EXPECT_EQ(round_trip(codec, "{}"), "{}");
  EXPECT_EQ(round_trip(codec, "null"), "null");
  const std::string unicode = R"json({"message":"échec – 失敗 🚢","name":"\u0000\"quoted\"\n"})json";
  EXPECT_EQ(round_trip(codec, unicode), unicode);
  // Bytes that are not JSON at all, a NUL and the format byte among them.
  const std::string binary("\x01\x00\xff\x01 raw", 8);
  EXPECT_EQ(round_trip(codec, binary), binary);
}

TEST(NodeBodyCodecTest, BodiesLargerThanTheDictionaryAndTheFirstBuffer) {
  NodeBodyCodec codec;
  // A node with thousands of children: far beyond the dictionary's 1 KB.
  std::string children = R"json({"children":[)json";
  for (int i = 0; i < 5000; ++i) children += (i ? ",\"wf-" : "\"wf-") + std::to_string(i * 7919 % 100003) + "\"";
  children += "]}";
  EXPECT_EQ(round_trip(codec, children), children);
  // Deflates a thousandfold: inflating outgrows its first buffer many times.
  const std::string repetitive = R"json({"result":")json" + std::string(1 << 20, 'a') + "\"}";
  EXPECT_EQ(round_trip(codec, repetitive), repetitive);
  // Incompressible text: the row is a little larger than the body.
  std::mt19937 random(7);
  std::string noise(70000, ' ');
  for (char& c : noise) c = static_cast<char>(' ' + random() % 90);
  EXPECT_EQ(round_trip(codec, noise), noise);
}

TEST(NodeBodyCodecTest, OneCodecServesRowAfterRowInAnyOrder) {
  NodeBodyCodec codec;
  std::vector<std::string> bodies, rows;
  for (int i = 0; i < 50; ++i) {
    bodies.push_back(R"json({"id":"wf-)json" + std::to_string(i) + R"json(","phase":"Running","children":[)json" +
                     std::string(static_cast<size_t>(i) * 3, ' ') + "]}");
    rows.push_back(*codec.encode(bodies.back()));
  }
  for (int i = 49; i >= 0; --i) EXPECT_EQ(*codec.decode(rows[static_cast<size_t>(i)]), bodies[static_cast<size_t>(i)]);
  // A second codec (another connection) reads the first one's rows.
  NodeBodyCodec other;
  EXPECT_EQ(*other.decode(rows[17]), bodies[17]);
}

TEST(NodeBodyCodecTest, TheDictionaryMakesAPodRowSmall) {
  NodeBodyCodec codec;
  auto row = codec.encode(kPodBody);
  ASSERT_TRUE(row.is_ok());
  // Deflate alone leaves ~60% of so small a body; the dictionary's shared
  // keys and values leave its names, IDs and times.
  EXPECT_LT(row->size(), kPodBody.size() * 3 / 10) << row->size() << " of " << kPodBody.size();
}

TEST(NodeBodyCodecTest, PlainJsonRowsWrittenBeforeCompressionReadAsTheyAre) {
  NodeBodyCodec codec;
  EXPECT_FALSE(NodeBodyCodec::is_compressed(kPodBody));
  EXPECT_EQ(*codec.decode(kPodBody), kPodBody);
  EXPECT_EQ(*codec.decode(""), "");
  EXPECT_EQ(*codec.decode(" {}"), " {}");
}

TEST(NodeBodyCodecTest, ARowWrittenWithDictionaryOneStillReads) {
  // Made once, with zlib's raw deflate against dictionary 1, and kept: it
  // fails when the dictionary changes, which would make every stored row
  // unreadable.
  static const char kDeflated[] =
      "\x43\x0b\xae\xf4\xfc\x9c\x94\xd4\x3c\x5d\x43\x8c\x14\x5b\x9e\x5f\x94\x0d\x4c\xb5\x89\x58\x52\xad\x91\x99"
      "\xae\xa1\xa1\xae\x91\x71\x88\xa1\x91\x95\x01\x30\x61\x1b\x46\x11\x11\x82\x50\x8b\x8c\x10\x21\x09\x11\x01"
      "\x16\x12\x7a\xc8\x76\x11\x11\xb8\x87\x57\xd2\x3a\x35\xa2\xfb\xd0\x20\x0a\x33\xc0\x41\x8e\xc6\x19\xe8\x10"
      "\xbf\xa1\x05\x3d\x00";
  // It holds NUL bytes: sized by the array, not by strlen.
  const std::string golden = std::string(1, kDeflatedV1) + std::string(kDeflated, sizeof(kDeflated) - 1);
  const std::string body =
      R"json({"boundaryID":"golden-1","displayName":"work(0:a)","finishedAt":"2026-11-23T12:00:01Z",)json"
      R"json("hostNodeName":"localhost","id":"golden-2","name":"golden[0].work(0:a)",)json"
      R"json("outputs":{"exitCode":"0","result":"é"},"phase":"Succeeded","progress":"1/1",)json"
      R"json("resourcesDuration":{"cpu":1,"memory":1},"startedAt":"2026-11-23T12:00:00Z","templateName":"work",)json"
      R"json("templateScope":"local/golden","type":"Pod"})json";
  NodeBodyCodec codec;
  auto decoded = codec.decode(golden);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, body);
}

TEST(NodeBodyCodecTest, ADamagedRowIsAnErrorThatSaysHow) {
  NodeBodyCodec codec;
  const std::string row = *codec.encode(kPodBody);

  auto cut = codec.decode(row.substr(0, row.size() - 4));
  ASSERT_FALSE(cut.is_ok());
  EXPECT_NE(cut.status().message().find("cut short"), std::string::npos) << cut.status().message();

  auto only_the_format_byte = codec.decode(std::string(1, kDeflatedV1));
  EXPECT_FALSE(only_the_format_byte.is_ok());

  auto trailing = codec.decode(row + "xyz");
  ASSERT_FALSE(trailing.is_ok());
  EXPECT_NE(trailing.status().message().find("3 bytes after its end"), std::string::npos)
      << trailing.status().message();

  // 0xff opens a block of the reserved type 3.
  auto garbage = codec.decode(std::string(1, kDeflatedV1) + "\xff\xff\xff\xff");
  ASSERT_FALSE(garbage.is_ok());
  EXPECT_NE(garbage.status().message().find("corrupt"), std::string::npos) << garbage.status().message();

  // The codec is still good for the next row after each error.
  EXPECT_EQ(*codec.decode(row), kPodBody);
}

}  // namespace
}  // namespace skiff::store
