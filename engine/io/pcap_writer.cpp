// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/pcap_writer.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>

namespace stackscope::io {

std::unique_ptr<PcapWriter> PcapWriter::open(const std::string& path, std::string deviceFilter,
                                             CaptureError* error) {
    pcap_t* handle =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kSnapLength, PCAP_TSTAMP_PRECISION_NANO);
    if (!handle) {
        if (error) *error = CaptureError{path, 0, "cannot set up a pcap writer"};
        return nullptr;
    }
    pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
    if (!dumper) {
        if (error) {
            // libpcap words it "PATH: reason"; the path is already in CaptureError.
            std::string message = pcap_geterr(handle);
            const std::string prefix = path + ": ";
            if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
            *error = CaptureError{path, 0, fmt::format("cannot create the file: {}", message)};
        }
        pcap_close(handle);
        return nullptr;
    }
    return std::unique_ptr<PcapWriter>(
        new PcapWriter(handle, dumper, path, std::move(deviceFilter)));
}

PcapWriter::PcapWriter(pcap* handle, pcap_dumper* dumper, std::string path,
                       std::string deviceFilter)
    : m_handle(handle), m_dumper(dumper), m_path(std::move(path)),
      m_deviceFilter(std::move(deviceFilter)) {}

PcapWriter::~PcapWriter() {
    pcap_dump_close(m_dumper);
    pcap_close(m_handle);
}

void PcapWriter::onTransmit(const TxFrame& frame) {
    if (!m_deviceFilter.empty() && frame.device != m_deviceFilter) return;
    pcap_pkthdr header{};
    // Floor division so a (theoretical) negative time still gives 0 <= nsec < 10^9.
    Nanos seconds = frame.time / kSecond;
    Nanos nanos = frame.time % kSecond;
    if (nanos < 0) {
        nanos += kSecond;
        --seconds;
    }
    header.ts.tv_sec = static_cast<decltype(header.ts.tv_sec)>(seconds);
    header.ts.tv_usec = static_cast<decltype(header.ts.tv_usec)>(nanos); // ns: nano precision
    const auto size = static_cast<std::uint32_t>(
        std::min<std::size_t>(frame.bytes.size(), std::uint32_t{0xffffffff}));
    header.len = size;
    header.caplen = std::min(size, kSnapLength);
    pcap_dump(reinterpret_cast<u_char*>(m_dumper), &header, frame.bytes.data());
    ++m_framesWritten;
}

void PcapWriter::flush() {
    if (pcap_dump_flush(m_dumper) != 0 && !m_error)
        m_error = CaptureError{m_path, 0, "cannot write the file"};
}

} // namespace stackscope::io
