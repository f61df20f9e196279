// SPDX-License-Identifier: GPL-3.0-or-later
// What `run` and `live` share for their outputs: a file named on the command line
// ("-" is standard output) and the --trace writer.
#pragma once

#include "model/host_config.h"
#include "sim/trace.h"

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace stackscope::cli {

// Writes one formatTraceLine per trace event.
class TraceWriter final : public TraceObserver {
  public:
    TraceWriter(std::ostream& out, const HostConfig& config) : m_out(out), m_config(config) {}
    void onTrace(const TraceEvent& event) override {
        const InterfaceConfig* i = m_config.interfaceByIndex(event.ifindex);
        m_out << formatTraceLine(event, i ? std::string_view(i->name) : std::string_view()) << '\n';
    }

  private:
    std::ostream& m_out;
    const HostConfig& m_config;
};

// An output named on the command line: "-" is standard output, anything else a file
// created (truncated) when opened.
class Output {
  public:
    bool open(const std::string& path, std::ostream& stdoutStream) {
        if (path == "-") {
            m_stream = &stdoutStream;
            return true;
        }
        m_file = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
        m_stream = m_file.get();
        return bool(*m_file);
    }
    std::ostream& stream() { return *m_stream; }
    bool finish() {
        m_stream->flush();
        return bool(*m_stream);
    }

  private:
    std::unique_ptr<std::ofstream> m_file;
    std::ostream* m_stream = nullptr;
};

} // namespace stackscope::cli
