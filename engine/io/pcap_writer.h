// SPDX-License-Identifier: GPL-3.0-or-later
// Records transmitted frames into a pcap file (Ethernet, nanosecond timestamps),
// the simulated counterpart of tcpdump on an interface's egress.
#pragma once

#include "io/capture_error.h"
#include "sim/frame.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct pcap;        // pcap_t
struct pcap_dumper; // pcap_dumper_t

namespace stackscope::io {

class PcapWriter final : public TxObserver {
  public:
    // Frames longer than this are recorded truncated, with their full length kept.
    static constexpr std::uint32_t kSnapLength = 262144;

    // nullptr (and *error filled when given) when the file cannot be created.
    // An empty deviceFilter records every device.
    static std::unique_ptr<PcapWriter> open(const std::string& path, std::string deviceFilter,
                                            CaptureError* error);
    ~PcapWriter() override; // flushes and closes the file
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    void onTransmit(const TxFrame& frame) override;
    // Pushes buffered records to the file; a write failure is kept in error().
    void flush();

    std::uint64_t framesWritten() const { return m_framesWritten; }
    const std::optional<CaptureError>& error() const { return m_error; }
    const std::string& path() const { return m_path; }

  private:
    PcapWriter(pcap* handle, pcap_dumper* dumper, std::string path, std::string deviceFilter);

    pcap* m_handle = nullptr;
    pcap_dumper* m_dumper = nullptr;
    std::string m_path;
    std::string m_deviceFilter;
    std::uint64_t m_framesWritten = 0;
    std::optional<CaptureError> m_error;
};

} // namespace stackscope::io
