// SPDX-License-Identifier: GPL-3.0-or-later
// Builds small pcap and pcapng files byte by byte, so the reader tests need no
// external tool and can produce exactly the malformed files they are about.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace stackscope::io::test {

using Bytes = std::vector<std::uint8_t>;

class PcapFileBuilder {
  public:
    // linkTypeField goes into the header as is (upper bits included).
    explicit PcapFileBuilder(std::uint32_t linkTypeField, bool nanosecond = false,
                             bool bigEndian = false, std::uint32_t snapLength = 65535);

    // One record; `fraction` is microseconds or nanoseconds after `seconds`. The
    // original length defaults to the captured one.
    PcapFileBuilder& record(std::uint32_t seconds, std::uint32_t fraction, const Bytes& data,
                            std::uint32_t originalLength = 0);
    // Arbitrary trailing bytes, for truncated or corrupt files.
    PcapFileBuilder& raw(const Bytes& data);

    const Bytes& bytes() const { return m_bytes; }
    void write(const std::filesystem::path& path) const;

  private:
    void put32(std::uint32_t value);
    void put16(std::uint16_t value);

    bool m_bigEndian;
    Bytes m_bytes;
};

// A pcapng file with one section (little-endian), microsecond timestamps.
class PcapngFileBuilder {
  public:
    PcapngFileBuilder();
    PcapngFileBuilder& interface(std::uint16_t linkType, std::uint32_t snapLength = 65535);
    PcapngFileBuilder& packet(std::uint32_t interfaceId, std::uint64_t microseconds,
                              const Bytes& data);
    const Bytes& bytes() const { return m_bytes; }
    void write(const std::filesystem::path& path) const;

  private:
    void put32(std::uint32_t value);
    void put16(std::uint16_t value);
    Bytes m_bytes;
};

// A fresh folder under the system temporary folder, removed with its contents.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path file(const std::string& name) const { return m_path / name; }
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
};

void writeFile(const std::filesystem::path& path, const Bytes& bytes);
Bytes concat(std::initializer_list<Bytes> parts);

} // namespace stackscope::io::test
