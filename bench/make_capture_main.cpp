// SPDX-License-Identifier: GPL-3.0-or-later
// stackscope-make-capture: writes the benchmark's synthetic capture.
#include "synthetic_capture.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

int main(int argc, char** argv) {
    stackscope::bench::SyntheticCaptureOptions options;
    std::string output;
    std::uint64_t intervalUs = std::uint64_t(options.interval / stackscope::kMicrosecond);

    CLI::App app{"Writes a reproducible Ethernet/IPv4/UDP pcap for the batch-mode benchmark: "
                 "frames for bench/bench.scn's host (eth0 02:00:00:00:00:02, 10.0.0.2) to "
                 "listening and closed UDP ports, for another host, and a few malformed ones.",
                 "stackscope-make-capture"};
    app.add_option("OUTPUT", output, "The pcap file to write.")->required();
    app.add_option("--frames", options.frames, "Number of frames (default 1000000).");
    app.add_option("--seed", options.seed, "Seed of the frame mix (default 1).");
    app.add_option("--interval-us", intervalUs,
                   "Capture time between frames in microseconds (default 10).");
    CLI11_PARSE(app, argc, argv);
    options.interval = stackscope::Nanos(intervalUs) * stackscope::kMicrosecond;

    stackscope::bench::SyntheticCaptureStats stats;
    if (auto error = stackscope::bench::writeSyntheticCapture(output, options, &stats)) {
        fmt::print(stderr, "stackscope-make-capture: {}\n", *error);
        return 1;
    }
    fmt::print("{}: {} frames, {} bytes: {} to listening ports, {} to closed ports, "
               "{} for another host, {} malformed\n",
               output, stats.frames, stats.bytes, stats.listeningPort, stats.closedPort,
               stats.otherHost, stats.malformed);
    return 0;
}
