// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/prefetch_frame_source.h"

#include "io/pcap_reader.h"
#include "sim/frame_buffers.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <unistd.h>

using namespace stackscope;

namespace {

// Frame i has time i, captureNumber i + 1 and four bytes holding i; `count` frames, or
// without end for SIZE_MAX. The reader thread calls next(), the test reads calls.
class CountingSource final : public FrameSource {
  public:
    explicit CountingSource(std::size_t count) : m_count(count) {}
    std::optional<InputFrame> next() override {
        const std::size_t i = m_produced;
        calls.fetch_add(1);
        if (i >= m_count) return std::nullopt;
        ++m_produced;
        InputFrame f;
        f.time = Nanos(i);
        f.device = "eth0";
        f.captureNumber = i + 1;
        f.bytes = {std::uint8_t(i), std::uint8_t(i >> 8), std::uint8_t(i >> 16), std::uint8_t(i >> 24)};
        return f;
    }
    std::atomic<std::size_t> calls{0};

  private:
    std::size_t m_count;
    std::size_t m_produced = 0;
};

// Ends the test binary when a scope takes longer than a few seconds: a reader thread
// that does not stop would otherwise hang the run until ctest's timeout.
class Watchdog {
  public:
    explicit Watchdog(const char* what)
        : m_thread([this, what] {
              std::unique_lock lock(m_mutex);
              if (!m_cv.wait_for(lock, std::chrono::seconds(10), [this] { return m_done; })) {
                  std::fprintf(stderr, "%s did not return within 10 s\n", what);
                  std::_Exit(1);
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_one();
        m_thread.join();
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    std::thread m_thread;
};

bool isFrame(const InputFrame& f, std::size_t i) {
    const std::vector<std::uint8_t> bytes = {std::uint8_t(i), std::uint8_t(i >> 8), std::uint8_t(i >> 16),
                                             std::uint8_t(i >> 24)};
    return f.time == Nanos(i) && f.captureNumber == i + 1 && f.device == "eth0" && f.bytes == bytes;
}

// Reads pf to the end: how many frames came, and whether each was CountingSource's next.
std::pair<std::size_t, bool> drain(cli::PrefetchFrameSource& pf) {
    std::size_t got = 0;
    bool ordered = true;
    while (auto f = pf.next()) {
        if (!isFrame(*f, got)) ordered = false;
        ++got;
    }
    return {got, ordered};
}

void put16(std::ofstream& out, std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); }
void put32(std::ofstream& out, std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }

// A LINKTYPE_RAW capture in host byte order: `good` IPv4 records with an empty record
// (which the reader skips with a warning) after the first `warnAfter`, then a record
// header that promises more bytes than the file holds (a read error).
void writeCapture(const std::string& path, int good, int warnAfter) {
    std::ofstream out(path, std::ios::binary);
    put32(out, 0xa1b2c3d4);
    put16(out, 2);
    put16(out, 4);
    put32(out, 0);
    put32(out, 0);
    put32(out, 65535);
    put32(out, 101);
    auto record = [&](std::uint32_t sec, const std::vector<std::uint8_t>& data, std::uint32_t caplen) {
        put32(out, sec);
        put32(out, 0);
        put32(out, caplen);
        put32(out, caplen);
        out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    };
    for (int i = 0; i < good; ++i) {
        if (i == warnAfter) record(std::uint32_t(i), {}, 0);
        std::vector<std::uint8_t> ip = {0x45, 0, 0, 20, std::uint8_t(i >> 8), std::uint8_t(i), 0, 0, 64, 17,
                                        0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
        record(std::uint32_t(i), ip, std::uint32_t(ip.size()));
    }
    record(std::uint32_t(good), {0x45, 0, 0}, 40); // 3 of 40 bytes: truncated
}

} // namespace

TEST_CASE("prefetch delivers every frame in order", "[cli][prefetch]") {
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(255), std::size_t(256), std::size_t(257),
                          std::size_t(10000)}) {
        INFO(n << " frames");
        CountingSource src(n);
        cli::PrefetchFrameSource pf(src);
        const auto [got, ordered] = drain(pf);
        CHECK(ordered);
        CHECK(got == n);
        CHECK_FALSE(pf.next().has_value()); // stays at the end
        pf.stop();
        CHECK(src.calls.load() == n + 1); // read to the end exactly once
    }
}

TEST_CASE("prefetch with small batches and a short queue", "[cli][prefetch]") {
    for (std::size_t batch : {std::size_t(1), std::size_t(3), std::size_t(7)}) {
        CountingSource src(1000);
        cli::PrefetchFrameSource pf(src, batch, 2);
        const auto [got, ordered] = drain(pf);
        CHECK(ordered);
        CHECK(got == 1000);
    }
}

TEST_CASE("prefetch stop in the middle ends the reader promptly", "[cli][prefetch]") {
    CountingSource src(std::numeric_limits<std::size_t>::max());
    const std::size_t batch = 256, batches = 8;
    auto pf = std::make_unique<cli::PrefetchFrameSource>(src, batch, batches);
    for (std::size_t i = 0; i < 1000; ++i) {
        auto f = pf->next();
        REQUIRE(f.has_value());
        REQUIRE(isFrame(*f, i));
    }
    // Give the reader time to fill the queue and block on it.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto t0 = std::chrono::steady_clock::now();
    {
        Watchdog w("stop()");
        pf->stop();
    }
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(elapsed < std::chrono::seconds(2));
    const std::size_t calls = src.calls.load();
    // Read-ahead is bounded: the queue, the batch being filled, the consumer's batch.
    CHECK(calls <= 1000 + (batches + 2) * batch);
    CHECK_FALSE(pf->next().has_value());
    pf->stop(); // a second stop is harmless
    // The thread is gone: nobody reads the upstream source any more.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK(src.calls.load() == calls);
    pf.reset();
    CHECK(src.calls.load() == calls);
}

TEST_CASE("prefetch refills a full queue from its low-water mark", "[cli][prefetch]") {
    // Eight batches of four: a full queue wakes the reader again once it is down to two
    // (a quarter), not after every batch taken.
    CountingSource src(std::numeric_limits<std::size_t>::max());
    const std::size_t batch = 4, batches = 8;
    cli::PrefetchFrameSource pf(src, batch, batches);
    Watchdog w("the low-water test");
    std::size_t taken = 0;
    auto take = [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i, ++taken) {
            auto f = pf.next();
            REQUIRE(f.has_value());
            REQUIRE(isFrame(*f, taken));
        }
    };
    auto callsSettle = [&] {
        std::size_t calls = src.calls.load();
        for (int i = 0; i < 20; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            const std::size_t now = src.calls.load();
            if (now != calls) i = 0;
            calls = now;
        }
        return calls;
    };
    take(1);
    // Blocked: the consumer's batch, a full queue and one more read while waiting. Had
    // the queue filled before the consumer took its first batch, seven are queued.
    const std::size_t blocked = callsSettle();
    const std::size_t queued = blocked / batch - 2;
    REQUIRE(blocked % batch == 0);
    REQUIRE((queued == batches || queued == batches - 1));
    take(batch - 1 + (queued - 3) * batch); // the rest of the first batch, down to three queued
    CHECK(callsSettle() == blocked);
    take(batch); // down to two: the reader fills the queue again
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (src.calls.load() == blocked && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(callsSettle() == blocked + (batches - 2) * batch);
    take(1000); // and keeps going
    pf.stop();
}

TEST_CASE("prefetch destroyed in the middle or before the first frame", "[cli][prefetch]") {
    CountingSource src(std::numeric_limits<std::size_t>::max());
    {
        Watchdog w("the destructor");
        cli::PrefetchFrameSource pf(src, 16, 2);
        REQUIRE(pf.next().has_value());
    } // the destructor stops and joins the reader, before the watchdog ends
    const std::size_t calls = src.calls.load();
    CHECK(calls <= 1 + 4 * 16);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK(src.calls.load() == calls);

    CountingSource untouched(10);
    {
        cli::PrefetchFrameSource pf(untouched);
        pf.stop();
        CHECK_FALSE(pf.next().has_value());
    }
    CHECK(untouched.calls.load() == 0); // no thread was started
}

TEST_CASE("prefetch keeps the capture reader's warnings and errors", "[cli][prefetch]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("stackscope-prefetch-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "bad.pcap").string();
    writeCapture(path, 600, 300);

    io::CaptureError openError;
    auto reader = io::PcapReader::open(path, "eth0", &openError);
    REQUIRE(reader);
    {
        cli::PrefetchFrameSource pf(*reader, 256, 8);
        std::size_t got = 0;
        bool ordered = true;
        while (auto f = pf.next()) {
            // Record 301 is the empty one: frames after it are one record further on.
            const std::uint64_t record = got < 300 ? got + 1 : got + 2;
            if (f->captureNumber != record || f->bytes.size() != 20 + 14 ||
                f->time != Nanos(got) * 1'000'000'000)
                ordered = false;
            ++got;
        }
        CHECK(got == 600);
        CHECK(ordered);
        pf.stop();
    }
    REQUIRE(reader->warnings().size() == 1);
    CHECK(reader->warnings()[0].packet == 301);
    REQUIRE(reader->error().has_value());
    CHECK(reader->error()->packet == 602);
    CHECK_FALSE(reader->error()->message.empty());
    reader.reset();
    std::filesystem::remove_all(dir);
}

constexpr std::size_t kPooledFrames = 20000;

TEST_CASE("prefetch sends the buffers of freed frames back to the reader", "[cli][prefetch]") {
    // Frames whose bytes come from the reader thread's pool; the source counts how many
    // buffers it got back that the consumer had given up.
    class PooledSource final : public FrameSource {
      public:
        std::optional<InputFrame> next() override {
            if (m_produced == kPooledFrames) return std::nullopt;
            InputFrame f;
            f.time = Nanos(m_produced);
            f.captureNumber = ++m_produced;
            f.bytes = frame_buffers::take();
            f.bytes.assign(100, std::uint8_t(m_produced));
            return f;
        }
      private:
        std::size_t m_produced = 0;
    };
    std::thread consumer([] {
        PooledSource src;
        std::size_t got = 0;
        {
            cli::PrefetchFrameSource pf(src, 64, 4);
            std::set<const std::uint8_t*> distinct;
            while (auto f = pf.next()) {
                distinct.insert(f->bytes.data());
                frame_buffers::give(std::move(f->bytes)); // what a freed skb does
                ++got;
            }
            pf.stop();
            // 20000 frames in a few hundred buffers: the same ones went round and round.
            CHECK(distinct.size() < 2000);
        }
        CHECK(got == kPooledFrames);
        // The consumer's pool stays small (it would hold kMaxKept otherwise): what it
        // frees goes back batch by batch.
        CHECK(frame_buffers::kept() < 1000);
    });
    consumer.join();
}
