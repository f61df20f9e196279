// SPDX-License-Identifier: GPL-3.0-or-later
#include "capture_file_builder.h"
#include "io/pcap_reader.h"
#include "io/pcap_writer.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using namespace stackscope::io;
using namespace stackscope::io::test;

namespace {

TxFrame txFrame(Nanos time, const std::string& device, std::uint8_t tag, std::size_t size = 60) {
    TxFrame frame;
    frame.time = time;
    frame.device = device;
    frame.bytes.resize(size);
    for (std::size_t i = 0; i < size; ++i)
        frame.bytes[i] = static_cast<std::uint8_t>(tag + i);
    return frame;
}

std::unique_ptr<PcapWriter> openWriter(const std::filesystem::path& path,
                                       const std::string& filter) {
    CaptureError error;
    auto writer = PcapWriter::open(path.string(), filter, &error);
    INFO(error.toString());
    REQUIRE(writer);
    return writer;
}

std::vector<InputFrame> readBack(const std::filesystem::path& path, Nanos offset = 0) {
    CaptureError error;
    auto reader = PcapReader::open(path.string(), "in0", &error);
    INFO(error.toString());
    REQUIRE(reader);
    reader->setTimeOffset(offset);
    std::vector<InputFrame> frames;
    while (auto frame = reader->next())
        frames.push_back(std::move(*frame));
    CHECK_FALSE(reader->error());
    CHECK(reader->linkTypeName() == "EN10MB");
    return frames;
}

} // namespace

TEST_CASE("Frames written by PcapWriter read back with the same bytes and nanoseconds",
          "[io][pcap][writer]") {
    TempDir dir;
    const auto path = dir.file("tx.pcap");
    const std::vector<TxFrame> sent = {
        txFrame(1'000'000'001, "eth0", 1),
        txFrame(1'000'000'002, "eth0", 2, 1514),
        txFrame(1'000'000'002, "eth1", 3),
        txFrame(7'123'456'789, "eth0", 4, 14),
    };
    {
        auto writer = openWriter(path, "eth0");
        for (const auto& frame : sent)
            writer->onTransmit(frame);
        CHECK(writer->framesWritten() == 3);
    } // closed here
    CHECK(looksLikeCapture(path.string()));
    const auto frames = readBack(path, sent[0].time);
    REQUIRE(frames.size() == 3);
    const std::vector<const TxFrame*> expected = {&sent[0], &sent[1], &sent[3]};
    for (std::size_t i = 0; i < frames.size(); ++i) {
        CHECK(frames[i].time == expected[i]->time);
        CHECK(frames[i].bytes == expected[i]->bytes);
        CHECK(frames[i].wireLength == expected[i]->bytes.size());
        CHECK_FALSE(frames[i].l2Synthesized);
    }
}

TEST_CASE("An empty device filter records every device", "[io][pcap][writer]") {
    TempDir dir;
    const auto path = dir.file("all.pcap");
    auto writer = openWriter(path, "");
    writer->onTransmit(txFrame(5, "eth0", 1));
    writer->onTransmit(txFrame(9, "eth1", 2));
    writer->onTransmit(txFrame(9, "lo", 3));
    CHECK(writer->framesWritten() == 3);
    // flush() makes the records readable while the writer is still open.
    writer->flush();
    CHECK_FALSE(writer->error());
    const auto frames = readBack(path);
    REQUIRE(frames.size() == 3);
    CHECK(frames[1].time == 4);
    CHECK(frames[2].bytes == txFrame(9, "lo", 3).bytes);
}

TEST_CASE("Frames past the snap length are recorded truncated with their full length",
          "[io][pcap][writer]") {
    TempDir dir;
    const auto path = dir.file("big.pcap");
    const auto big = txFrame(0, "eth0", 7, PcapWriter::kSnapLength + 100);
    {
        auto writer = openWriter(path, "eth0");
        writer->onTransmit(big);
    }
    const auto frames = readBack(path);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].bytes.size() == PcapWriter::kSnapLength);
    CHECK(frames[0].wireLength == big.bytes.size());
    CHECK(std::equal(frames[0].bytes.begin(), frames[0].bytes.end(), big.bytes.begin()));
}

TEST_CASE("A writer that cannot create its file says so", "[io][pcap][writer]") {
    TempDir dir;
    const auto path = dir.file("no-such-folder") / "tx.pcap";
    CaptureError error;
    CHECK_FALSE(PcapWriter::open(path.string(), "", &error));
    CHECK(error.file == path.string());
    CHECK(error.message == "cannot create the file: No such file or directory");
}
