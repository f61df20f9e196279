// SPDX-License-Identifier: GPL-3.0-or-later
#include "synthetic_capture.h"

#include "io/pcap_reader.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

using namespace stackscope;

namespace {

// A file in the temporary folder, removed when the test ends.
struct TempFile {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() /
        ("stackscope-bench-capture-" + std::to_string(::getpid()) + ".pcap");
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

// True when the frame is Ethernet/IPv4/UDP with every header and checksum valid.
bool wellFormed(const std::vector<std::uint8_t>& frame) {
    auto eth = wire::EthernetFrame::view(frame);
    if (!eth || eth->etherType() != wire::kEtherTypeIpv4) return false;
    auto ip = wire::Ipv4Repr::parse(eth->payload());
    if (!ip || ip->protocol != wire::kIpProtoUdp) return false;
    auto ipView = wire::Ipv4Packet::view(eth->payload());
    return bool(wire::UdpRepr::parse(ipView->payload(), ip->src, ip->dst));
}

} // namespace

TEST_CASE("the synthetic capture is a readable pcap with the frames it promises", "[bench]") {
    TempFile file;
    bench::SyntheticCaptureOptions options;
    options.frames = 1000;
    bench::SyntheticCaptureStats stats;
    REQUIRE_FALSE(bench::writeSyntheticCapture(file.path.string(), options, &stats));

    CHECK(stats.frames == 1000);
    CHECK(stats.listeningPort + stats.closedPort + stats.otherHost + stats.malformed == 1000);
    CHECK(stats.listeningPort > 500);
    CHECK(stats.closedPort > 200);
    CHECK(stats.otherHost > 0);
    CHECK(stats.malformed > 0);

    io::CaptureError error;
    auto reader = io::PcapReader::open(file.path.string(), "eth0", &error);
    REQUIRE(reader);
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    Nanos previous = -1;
    while (auto frame = reader->next()) {
        bench::FrameKind kind{};
        CHECK(frame->bytes == bench::syntheticFrame(options.seed, count, &kind));
        CHECK(frame->bytes.size() >= wire::kEthMinFrameLen);
        CHECK(frame->bytes.size() <= 1514);
        CHECK(frame->time > previous);
        CHECK(wellFormed(frame->bytes) == (kind != bench::FrameKind::Malformed));
        previous = frame->time;
        bytes += frame->bytes.size();
        ++count;
    }
    CHECK_FALSE(reader->error());
    CHECK(reader->warningCount() == 0);
    CHECK(count == 1000);
    CHECK(bytes == stats.bytes);
}

TEST_CASE("the synthetic frames depend only on the seed and the index", "[bench]") {
    CHECK(bench::syntheticFrame(1, 12345) == bench::syntheticFrame(1, 12345));
    CHECK(bench::syntheticFrame(1, 12345) != bench::syntheticFrame(2, 12345));
    CHECK(bench::syntheticFrame(1, 12345) != bench::syntheticFrame(1, 12346));
}

TEST_CASE("an unwritable capture path is reported with its name", "[bench]") {
    bench::SyntheticCaptureOptions options;
    options.frames = 1;
    auto error = bench::writeSyntheticCapture("/nonexistent-dir/x.pcap", options);
    REQUIRE(error);
    CHECK(error->find("/nonexistent-dir/x.pcap") != std::string::npos);
}
