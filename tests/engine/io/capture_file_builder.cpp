// SPDX-License-Identifier: GPL-3.0-or-later
#include "capture_file_builder.h"

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace stackscope::io::test {

namespace {
constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kBlockSectionHeader = 0x0a0d0d0a;
constexpr std::uint32_t kBlockInterfaceDescription = 1;
constexpr std::uint32_t kBlockEnhancedPacket = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;
} // namespace

PcapFileBuilder::PcapFileBuilder(std::uint32_t linkTypeField, bool nanosecond, bool bigEndian,
                                 std::uint32_t snapLength)
    : m_bigEndian(bigEndian) {
    put32(nanosecond ? kPcapMagicNano : kPcapMagicMicro);
    put16(2); // version 2.4
    put16(4);
    put32(0); // thiszone
    put32(0); // sigfigs
    put32(snapLength);
    put32(linkTypeField);
}

PcapFileBuilder& PcapFileBuilder::record(std::uint32_t seconds, std::uint32_t fraction,
                                         const Bytes& data, std::uint32_t originalLength) {
    put32(seconds);
    put32(fraction);
    put32(static_cast<std::uint32_t>(data.size()));
    put32(originalLength ? originalLength : static_cast<std::uint32_t>(data.size()));
    m_bytes.insert(m_bytes.end(), data.begin(), data.end());
    return *this;
}

PcapFileBuilder& PcapFileBuilder::raw(const Bytes& data) {
    m_bytes.insert(m_bytes.end(), data.begin(), data.end());
    return *this;
}

void PcapFileBuilder::put32(std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        const int shift = m_bigEndian ? (3 - i) * 8 : i * 8;
        m_bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void PcapFileBuilder::put16(std::uint16_t value) {
    for (int i = 0; i < 2; ++i) {
        const int shift = m_bigEndian ? (1 - i) * 8 : i * 8;
        m_bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void PcapFileBuilder::write(const std::filesystem::path& path) const {
    writeFile(path, m_bytes);
}

PcapngFileBuilder::PcapngFileBuilder() {
    put32(kBlockSectionHeader);
    put32(28);
    put32(kByteOrderMagic);
    put16(1); // version 1.0
    put16(0);
    put32(0xffffffff); // section length unknown
    put32(0xffffffff);
    put32(28);
}

PcapngFileBuilder& PcapngFileBuilder::interface(std::uint16_t linkType, std::uint32_t snapLength) {
    put32(kBlockInterfaceDescription);
    put32(20);
    put16(linkType);
    put16(0);
    put32(snapLength);
    put32(20);
    return *this;
}

PcapngFileBuilder& PcapngFileBuilder::packet(std::uint32_t interfaceId, std::uint64_t microseconds,
                                             const Bytes& data) {
    const auto padded = static_cast<std::uint32_t>((data.size() + 3) & ~std::size_t{3});
    const std::uint32_t total = 32 + padded;
    put32(kBlockEnhancedPacket);
    put32(total);
    put32(interfaceId);
    put32(static_cast<std::uint32_t>(microseconds >> 32));
    put32(static_cast<std::uint32_t>(microseconds));
    put32(static_cast<std::uint32_t>(data.size()));
    put32(static_cast<std::uint32_t>(data.size()));
    m_bytes.insert(m_bytes.end(), data.begin(), data.end());
    m_bytes.insert(m_bytes.end(), padded - data.size(), 0);
    put32(total);
    return *this;
}

void PcapngFileBuilder::put32(std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
        m_bytes.push_back(static_cast<std::uint8_t>(value >> (i * 8)));
}

void PcapngFileBuilder::put16(std::uint16_t value) {
    m_bytes.push_back(static_cast<std::uint8_t>(value));
    m_bytes.push_back(static_cast<std::uint8_t>(value >> 8));
}

void PcapngFileBuilder::write(const std::filesystem::path& path) const {
    writeFile(path, m_bytes);
}

TempDir::TempDir() {
    static std::atomic<int> counter{0};
    m_path = std::filesystem::temp_directory_path() /
             ("stackscope-io-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

void writeFile(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write test file " + path.string());
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes result;
    for (const auto& part : parts)
        result.insert(result.end(), part.begin(), part.end());
    return result;
}

} // namespace stackscope::io::test
