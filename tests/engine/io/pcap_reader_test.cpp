// SPDX-License-Identifier: GPL-3.0-or-later
#include "capture_file_builder.h"
#include "io/pcap_reader.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using namespace stackscope::io;
using namespace stackscope::io::test;

namespace {

constexpr std::uint32_t kLinkEthernet = 1;
constexpr std::uint32_t kLinkRaw = 101;
constexpr std::uint32_t kLinkLinuxSll = 113;
constexpr std::uint32_t kLinkRadiotap = 127;
constexpr std::uint32_t kLinkIpv4 = 228;
constexpr std::uint32_t kLinkLinuxSll2 = 276;

// A minimal IPv4 header (no payload) and an IPv6 one: only the version nibble matters here.
const Bytes kIpv4 = {0x45, 0x00, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
                     0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
const Bytes kIpv6Start = {0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x40};
const Bytes kMac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

Bytes ethernetFrame(std::uint8_t tag) {
    Bytes frame = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, tag, 0x08, 0x00};
    frame.insert(frame.end(), kIpv4.begin(), kIpv4.end());
    return frame;
}

// Linux cooked v1 header: packet type, ARPHRD_ETHER, address length, address, protocol.
Bytes sllHeader(std::uint16_t packetType, std::uint16_t addressLength, const Bytes& address,
                std::uint16_t protocol) {
    Bytes header = {0, static_cast<std::uint8_t>(packetType),   0x00, 0x01,
                    0, static_cast<std::uint8_t>(addressLength)};
    Bytes padded = address;
    padded.resize(8, 0);
    header.insert(header.end(), padded.begin(), padded.end());
    header.push_back(static_cast<std::uint8_t>(protocol >> 8));
    header.push_back(static_cast<std::uint8_t>(protocol));
    return header;
}

Bytes sll2Header(std::uint16_t protocol, std::uint8_t packetType, std::uint8_t addressLength,
                 const Bytes& address) {
    const auto hi = static_cast<std::uint8_t>(protocol >> 8);
    const auto lo = static_cast<std::uint8_t>(protocol);
    // protocol, reserved, interface index 3, ARPHRD_ETHER, packet type, address length
    Bytes header = {hi, lo, 0, 0, 0, 0, 0, 3, 0x00, 0x01, packetType, addressLength};
    Bytes padded = address;
    padded.resize(8, 0);
    header.insert(header.end(), padded.begin(), padded.end());
    return header;
}

Bytes syntheticEthernet(const Bytes& source, std::uint16_t ethertype, const Bytes& payload) {
    Bytes frame(6, 0);
    frame.insert(frame.end(), source.begin(), source.end());
    frame.push_back(static_cast<std::uint8_t>(ethertype >> 8));
    frame.push_back(static_cast<std::uint8_t>(ethertype));
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

std::vector<InputFrame> drain(PcapReader& reader) {
    std::vector<InputFrame> frames;
    while (auto frame = reader.next())
        frames.push_back(std::move(*frame));
    return frames;
}

std::unique_ptr<PcapReader> openOk(const std::filesystem::path& path,
                                   const std::string& device = "eth0") {
    CaptureError error;
    auto reader = PcapReader::open(path.string(), device, &error);
    INFO(error.toString());
    REQUIRE(reader);
    return reader;
}

CaptureError openFails(const std::filesystem::path& path) {
    CaptureError error;
    auto reader = PcapReader::open(path.string(), "eth0", &error);
    REQUIRE_FALSE(reader);
    CHECK(error.file == path.string());
    CHECK_FALSE(error.message.empty());
    return error;
}

} // namespace

TEST_CASE("CaptureError words file, packet and message", "[io][pcap]") {
    CHECK(CaptureError{"a.pcap", 7, "bad"}.toString() == "a.pcap: packet 7: bad");
    CHECK(CaptureError{"a.pcap", 0, "unknown file format"}.toString() ==
          "a.pcap: unknown file format");
}

TEST_CASE("Ethernet pcap frames come out as captured, times relative to the first", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("eth.pcap");
    PcapFileBuilder(kLinkEthernet)
        .record(1000, 500000, ethernetFrame(1))
        .record(1000, 750000, ethernetFrame(2), 1514)
        .record(1001, 0, ethernetFrame(3))
        .write(path);

    auto reader = openOk(path);
    CHECK(reader->linkTypeName() == "EN10MB");
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 3);
    CHECK_FALSE(reader->error());
    CHECK(reader->framesRead() == 3);
    CHECK(frames[0].time == 0);
    CHECK(frames[1].time == 250 * kMillisecond);
    CHECK(frames[2].time == 500 * kMillisecond);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        CHECK(frames[i].bytes == ethernetFrame(static_cast<std::uint8_t>(i + 1)));
        CHECK(frames[i].captureNumber == i + 1);
        CHECK(frames[i].device == "eth0");
        CHECK_FALSE(frames[i].l2Synthesized);
    }
    CHECK(frames[0].wireLength == ethernetFrame(1).size());
    CHECK(frames[1].wireLength == 1514);
    // Reading past the end stays at the end.
    CHECK_FALSE(reader->next());
}

TEST_CASE("Nanosecond and big-endian pcap files keep nanoseconds", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("nano-be.pcap");
    PcapFileBuilder(kLinkEthernet, /*nanosecond=*/true, /*bigEndian=*/true)
        .record(50, 999999999, ethernetFrame(1))
        .record(51, 7, ethernetFrame(2))
        .write(path);
    auto reader = openOk(path);
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 2);
    CHECK(frames[1].time - frames[0].time == 8);
    CHECK(frames[1].bytes == ethernetFrame(2));
}

TEST_CASE("A time offset moves every frame; backward timestamps are clamped and counted",
          "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("reorder.pcap");
    PcapFileBuilder(kLinkEthernet)
        .record(10, 0, ethernetFrame(1))
        .record(10, 500, ethernetFrame(2))
        .record(9, 0, ethernetFrame(3)) // a second before the first frame
        .record(10, 200, ethernetFrame(4))
        .record(11, 0, ethernetFrame(5))
        .write(path);
    auto reader = openOk(path);
    reader->setTimeOffset(3 * kSecond);
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 5);
    CHECK(frames[0].time == 3 * kSecond);
    CHECK(frames[1].time == 3 * kSecond + 500 * kMicrosecond);
    CHECK(frames[2].time == frames[1].time);
    CHECK(frames[3].time == frames[1].time);
    CHECK(frames[4].time == 4 * kSecond);
    CHECK(reader->reorderedTimestamps() == 2);
}

TEST_CASE("The link-type field's upper bits are ignored", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("fcs-bits.pcap");
    PcapFileBuilder(0x30000000u | kLinkEthernet).record(1, 0, ethernetFrame(1)).write(path);
    auto reader = openOk(path);
    CHECK(reader->linkTypeName() == "EN10MB");
    CHECK(drain(*reader).size() == 1);
}

TEST_CASE("Linux cooked v1 frames get an Ethernet header", "[io][pcap][sll]") {
    TempDir dir;
    const auto path = dir.file("sll.pcap");
    const Bytes loopback = {0, 0, 0, 0}; // a 4-byte address is not an Ethernet one
    PcapFileBuilder(kLinkLinuxSll)
        .record(1, 0, concat({sllHeader(1, 6, kMac, 0x0800), kIpv4}))
        .record(1, 10, concat({sllHeader(4, 4, loopback, 0x0806), kIpv4}), 100)
        .record(1, 20, sllHeader(0, 6, kMac, 0x0800)) // header only, empty payload
        .write(path);
    auto reader = openOk(path, "wan0");
    CHECK(reader->linkTypeName() == "LINUX_SLL");
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 3);
    CHECK_FALSE(reader->error());

    CHECK(frames[0].bytes == syntheticEthernet(kMac, 0x0800, kIpv4));
    CHECK(frames[0].l2Synthesized);
    CHECK(frames[0].l2PacketType == 1);
    CHECK(frames[0].wireLength == frames[0].bytes.size());
    CHECK(frames[0].device == "wan0");

    CHECK(frames[1].bytes == syntheticEthernet(Bytes(6, 0), 0x0806, kIpv4));
    CHECK(frames[1].l2PacketType == 4);
    CHECK(frames[1].wireLength == 100 - 16 + 14);
    CHECK(frames[1].time == 10 * kMicrosecond);

    CHECK(frames[2].bytes == syntheticEthernet(kMac, 0x0800, {}));
    CHECK(frames[2].l2PacketType == 0);
}

TEST_CASE("Linux cooked v2 frames get an Ethernet header", "[io][pcap][sll]") {
    TempDir dir;
    const auto path = dir.file("sll2.pcap");
    PcapFileBuilder(kLinkLinuxSll2)
        .record(1, 0, concat({sll2Header(0x0800, 2, 6, kMac), kIpv4}))
        .record(1, 1, concat({sll2Header(0x0800, 3, 0, {}), kIpv4}))
        .write(path);
    auto reader = openOk(path);
    CHECK(reader->linkTypeName() == "LINUX_SLL2");
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].bytes == syntheticEthernet(kMac, 0x0800, kIpv4));
    CHECK(frames[0].l2Synthesized);
    CHECK(frames[0].l2PacketType == 2);
    CHECK(frames[1].bytes == syntheticEthernet(Bytes(6, 0), 0x0800, kIpv4));
    CHECK(frames[1].l2PacketType == 3);
}

TEST_CASE("Truncated cooked headers are skipped with a warning by default", "[io][pcap][sll]") {
    TempDir dir;
    const auto path = dir.file("sll-short.pcap");
    PcapFileBuilder(kLinkLinuxSll)
        .record(1, 0, concat({sllHeader(0, 6, kMac, 0x0800), kIpv4}))
        .record(1, 1, Bytes(10, 0))
        .record(1, 2, concat({sllHeader(0, 6, kMac, 0x0800), kIpv4}))
        .write(path);

    SECTION("skip") {
        auto reader = openOk(path);
        const auto frames = drain(*reader);
        REQUIRE(frames.size() == 2);
        CHECK(frames[0].captureNumber == 1);
        CHECK(frames[1].captureNumber == 3);
        CHECK_FALSE(reader->error());
        CHECK(reader->framesRead() == 3);
        REQUIRE(reader->warnings().size() == 1);
        CHECK(reader->warningCount() == 1);
        CHECK(reader->warnings()[0].toString() ==
              path.string() + ": packet 2: Linux cooked header truncated (10 of 16 bytes)");
    }
    SECTION("stop") {
        auto reader = openOk(path);
        reader->setBadFramePolicy(BadFramePolicy::Stop);
        const auto frames = drain(*reader);
        CHECK(frames.size() == 1);
        REQUIRE(reader->error());
        CHECK(reader->error()->packet == 2);
        CHECK(reader->error()->message == "Linux cooked header truncated (10 of 16 bytes)");
        CHECK(reader->warnings().empty());
    }
}

TEST_CASE("Truncated SLL2 headers name their length", "[io][pcap][sll]") {
    TempDir dir;
    const auto path = dir.file("sll2-short.pcap");
    PcapFileBuilder(kLinkLinuxSll2).record(1, 0, Bytes(19, 0)).write(path);
    auto reader = openOk(path);
    CHECK(drain(*reader).empty());
    REQUIRE(reader->warnings().size() == 1);
    CHECK(reader->warnings()[0].packet == 1);
    CHECK(reader->warnings()[0].message == "Linux cooked v2 header truncated (19 of 20 bytes)");
}

TEST_CASE("Only the first 100 warnings are kept, all are counted", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("many-bad.pcap");
    PcapFileBuilder builder(kLinkLinuxSll);
    for (std::uint32_t i = 0; i < 150; ++i)
        builder.record(1, i, Bytes(3, 0));
    builder.record(2, 0, concat({sllHeader(0, 6, kMac, 0x0800), kIpv4}));
    builder.write(path);
    auto reader = openOk(path);
    const auto frames = drain(*reader);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].captureNumber == 151);
    CHECK(reader->warnings().size() == PcapReader::kMaxKeptWarnings);
    CHECK(reader->warningCount() == 150);
    CHECK(reader->warnings().back().packet == 100);
}

TEST_CASE("Raw IP frames get an Ethernet header by IP version", "[io][pcap][raw]") {
    TempDir dir;
    SECTION("LINKTYPE_RAW") {
        const auto path = dir.file("raw.pcap");
        PcapFileBuilder(kLinkRaw)
            .record(1, 0, kIpv4)
            .record(1, 1, kIpv6Start)
            .record(1, 2, {})
            .record(1, 3, kIpv4)
            .write(path);
        auto reader = openOk(path);
        CHECK(reader->linkTypeName() == "RAW");
        const auto frames = drain(*reader);
        REQUIRE(frames.size() == 3);
        CHECK(frames[0].bytes == syntheticEthernet(Bytes(6, 0), 0x0800, kIpv4));
        CHECK(frames[0].l2Synthesized);
        CHECK(frames[0].l2PacketType == 0);
        CHECK(frames[0].wireLength == kIpv4.size() + 14);
        CHECK(frames[1].bytes == syntheticEthernet(Bytes(6, 0), 0x86dd, kIpv6Start));
        CHECK(frames[2].captureNumber == 4);
        REQUIRE(reader->warnings().size() == 1);
        CHECK(reader->warnings()[0].packet == 3);
        CHECK(reader->warnings()[0].message == "raw IP frame is empty");
    }
    SECTION("LINKTYPE_IPV4") {
        const auto path = dir.file("ipv4.pcap");
        PcapFileBuilder(kLinkIpv4).record(1, 0, kIpv4).write(path);
        auto reader = openOk(path);
        CHECK(reader->linkTypeName() == "IPV4");
        const auto frames = drain(*reader);
        REQUIRE(frames.size() == 1);
        CHECK(frames[0].bytes == syntheticEthernet(Bytes(6, 0), 0x0800, kIpv4));
    }
}

TEST_CASE("Unsupported link types are refused by name and number", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("radiotap.pcap");
    PcapFileBuilder(kLinkRadiotap).record(1, 0, Bytes(30, 0)).write(path);
    const auto error = openFails(path);
    CHECK(error.packet == 0);
    CHECK(error.toString() == path.string() + ": link type IEEE802_11_RADIO (127) is not supported "
                                              "(Ethernet, Linux cooked SLL/SLL2 and raw IPv4 are)");
}

TEST_CASE("A record cut short by the end of the file ends the read naming it", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("truncated.pcap");
    PcapFileBuilder builder(kLinkEthernet);
    builder.record(1, 0, ethernetFrame(1)).record(1, 1, ethernetFrame(2));
    SECTION("inside the data") {
        // Record header claims 60 bytes, 10 follow.
        builder.raw({1, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0})
            .raw(Bytes(10, 0xab))
            .write(path);
    }
    SECTION("inside the record header") {
        builder.raw({1, 0, 0, 0, 2, 0}).write(path);
    }
    auto reader = openOk(path);
    CHECK(drain(*reader).size() == 2);
    REQUIRE(reader->error());
    CHECK(reader->error()->packet == 3);
    CHECK(reader->error()->file == path.string());
    CHECK_THAT(reader->error()->message, Catch::Contains("truncated"));
    CHECK_THAT(reader->error()->toString(), Catch::StartsWith(path.string() + ": packet 3: "));
}

TEST_CASE("Files that are not captures are refused", "[io][pcap]") {
    TempDir dir;
    SECTION("text") {
        const auto path = dir.file("web.scn");
        writeFile(path, Bytes{'i', 'p', ' ', 'l', 'i', 'n', 'k', ' ',  's', 'e', 't', '\n',
                              'i', 'p', ' ', 'a', 'd', 'd', 'r', '\n', '#', '#', '#', '#'});
        CHECK(openFails(path).message == "unknown file format");
    }
    SECTION("empty") {
        const auto path = dir.file("empty.pcap");
        writeFile(path, {});
        const auto error = openFails(path);
        CHECK(error.packet == 0);
    }
    SECTION("missing") {
        const auto error = openFails(dir.file("nowhere.pcap"));
        CHECK(error.message == "cannot open the file: No such file or directory");
    }
    SECTION("folder") {
        openFails(dir.path());
    }
    SECTION("header only") {
        const auto path = dir.file("header-only.pcap");
        PcapFileBuilder(kLinkEthernet).write(path);
        auto reader = openOk(path);
        CHECK_FALSE(reader->next());
        CHECK_FALSE(reader->error());
        CHECK(reader->framesRead() == 0);
    }
}

TEST_CASE("pcapng files are read through libpcap", "[io][pcapng]") {
    TempDir dir;
    SECTION("Ethernet, two interfaces of the same type") {
        const auto path = dir.file("two.pcapng");
        PcapngFileBuilder()
            .interface(1)
            .interface(1)
            .packet(0, 5'000'000, ethernetFrame(1))
            .packet(1, 5'000'003, ethernetFrame(2))
            .write(path);
        auto reader = openOk(path);
        const auto frames = drain(*reader);
        REQUIRE(frames.size() == 2);
        CHECK_FALSE(reader->error());
        CHECK(frames[1].time == 3 * kMicrosecond);
        CHECK(frames[1].bytes == ethernetFrame(2));
    }
    SECTION("first interface unsupported") {
        const auto path = dir.file("radiotap.pcapng");
        PcapngFileBuilder().interface(127).packet(0, 1, Bytes(30, 0)).write(path);
        CHECK_THAT(openFails(path).message,
                   Catch::StartsWith("link type IEEE802_11_RADIO (127) is not supported"));
    }
    SECTION("a later interface of another type ends the read") {
        const auto path = dir.file("mixed.pcapng");
        PcapngFileBuilder()
            .interface(1)
            .packet(0, 1, ethernetFrame(1))
            .interface(0)
            .packet(1, 2, Bytes(20, 0))
            .write(path);
        auto reader = openOk(path);
        CHECK(drain(*reader).size() == 1);
        REQUIRE(reader->error());
        CHECK(reader->error()->packet == 2);
        CHECK_FALSE(reader->error()->message.empty());
    }
}

TEST_CASE("readAll reads the whole file and reports progress", "[io][pcap]") {
    TempDir dir;
    const auto path = dir.file("many.pcap");
    PcapFileBuilder builder(kLinkLinuxSll);
    constexpr std::uint32_t kFrames = 10000;
    for (std::uint32_t i = 0; i < kFrames; ++i)
        builder.record(i / 1000, i % 1000, concat({sllHeader(0, 6, kMac, 0x0800), kIpv4}));
    builder.record(20, 0, Bytes(2, 0));
    builder.write(path);
    const auto fileSize = builder.bytes().size();

    SECTION("complete") {
        CaptureError error{"stale", 3, "stale"};
        std::vector<CaptureError> warnings;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
        const auto frames =
            readAll(path.string(), "eth1", &error, &warnings, [&](auto done, auto total) {
                calls.emplace_back(done, total);
                return true;
            });
        CHECK(frames.size() == kFrames);
        CHECK(error.message.empty());
        REQUIRE(warnings.size() == 1);
        CHECK(warnings[0].packet == kFrames + 1);
        CHECK(frames.back().device == "eth1");
        REQUIRE(calls.size() >= 3);
        CHECK(calls.front().first == 0);
        CHECK(calls.back().first == fileSize);
        for (std::size_t i = 1; i < calls.size(); ++i) {
            CHECK(calls[i].first >= calls[i - 1].first);
            CHECK(calls[i].second == fileSize);
        }
    }
    SECTION("cancelled") {
        CaptureError error;
        int calls = 0;
        const auto frames = readAll(path.string(), "eth1", &error, nullptr,
                                    [&](auto, auto) { return ++calls < 2; });
        CHECK(frames.empty());
        CHECK(error.message == "reading cancelled");
        CHECK(calls == 2);
    }
    SECTION("not a capture") {
        const auto text = dir.file("notes.txt");
        writeFile(text, Bytes(64, 'x'));
        CaptureError error;
        CHECK(readAll(text.string(), "eth1", &error).empty());
        CHECK(error.message == "unknown file format");
    }
}

TEST_CASE("looksLikeCapture tells captures from other files by content", "[io][pcap]") {
    TempDir dir;
    const std::vector<Bytes> captures = {{0xa1, 0xb2, 0xc3, 0xd4},
                                         {0xd4, 0xc3, 0xb2, 0xa1},
                                         {0xa1, 0xb2, 0x3c, 0x4d},
                                         {0x4d, 0x3c, 0xb2, 0xa1},
                                         {0x0a, 0x0d, 0x0d, 0x0a}};
    int n = 0;
    for (const auto& magic : captures) {
        const auto path = dir.file("c" + std::to_string(n++));
        writeFile(path, concat({magic, Bytes(20, 0)}));
        CHECK(looksLikeCapture(path.string()));
    }
    const auto exact = dir.file("exact");
    writeFile(exact, {0xd4, 0xc3, 0xb2, 0xa1});
    CHECK(looksLikeCapture(exact.string()));

    const auto scenario = dir.file("web.scn");
    writeFile(scenario, Bytes{'i', 'p', ' ', 'l', 'i', 'n', 'k', '\n'});
    CHECK_FALSE(looksLikeCapture(scenario.string()));
    const auto shortFile = dir.file("short");
    writeFile(shortFile, {0xd4, 0xc3, 0xb2});
    CHECK_FALSE(looksLikeCapture(shortFile.string()));
    const auto gzip = dir.file("c.pcap.gz");
    writeFile(gzip, {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0});
    CHECK_FALSE(looksLikeCapture(gzip.string()));
    CHECK_FALSE(looksLikeCapture(dir.file("missing").string()));
}
