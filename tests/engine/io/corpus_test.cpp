// SPDX-License-Identifier: GPL-3.0-or-later
// Walks the third-party capture corpus (many files deliberately malformed): the
// reader must never crash or hang, and every failure must be a worded CaptureError.
// MANIFEST.tsv next to the corpus records what libpcap 1.10.3 reads from each file;
// the reader, built on libpcap, must agree with it.
#include "io/pcap_reader.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace stackscope;
using namespace stackscope::io;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpusDir = STACKSCOPE_CORPUS_DIR;

bool corpusAvailable() {
    std::error_code ec;
    if (fs::is_directory(kCorpusDir, ec)) return true;
    WARN("capture corpus folder " << kCorpusDir.string()
                                  << " does not exist: corpus test skipped, 0 files read");
    return false;
}

std::vector<fs::path> corpusFiles() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(kCorpusDir))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

// Numbers vary from file to file ("tried to read 1234 bytes"); group messages without them.
std::string messageShape(const std::string& message) {
    static const std::regex digits(R"(\b[0-9]+\b)");
    return std::regex_replace(message, digits, "#");
}

bool supportedLinkType(int linkType) {
    // LINKTYPE values as the manifest gives them: Ethernet, SLL, SLL2, RAW, IPV4.
    return linkType == 1 || linkType == 113 || linkType == 276 || linkType == 101 ||
           linkType == 228;
}

struct ReadResult {
    bool opened = false;
    std::uint64_t frames = 0;
    std::uint64_t warnings = 0;
    std::optional<CaptureError> error; // open failure or read error
};

ReadResult readFile(const fs::path& path) {
    ReadResult result;
    CaptureError openError;
    auto reader = PcapReader::open(path.string(), "eth0", &openError);
    if (!reader) {
        result.error = openError;
        return result;
    }
    result.opened = true;
    Nanos last = 0;
    std::uint64_t lastNumber = 0;
    // Every record costs at least a 16-byte header, so more frames than that means the
    // reader is looping; stop instead of hanging.
    std::error_code ec;
    const std::uint64_t maxFrames = fs::file_size(path, ec) / 16 + 1;
    while (auto frame = reader->next()) {
        if (frame->captureNumber > maxFrames) {
            FAIL_CHECK(path.string() << ": more frames than the file can hold");
            break;
        }
        // Checked with if, not CHECK, to keep the assertion count sane over thousands
        // of frames; a violation is turned into a failure below.
        if (frame->time < last || frame->captureNumber <= lastNumber) {
            FAIL_CHECK(path.string()
                       << ": frame " << frame->captureNumber << " goes back in time or number");
        }
        last = frame->time;
        lastNumber = frame->captureNumber;
    }
    result.frames = reader->framesRead();
    result.warnings = reader->warningCount();
    for (const auto& warning : reader->warnings()) {
        CHECK(warning.file == path.string());
        CHECK(warning.packet > 0);
        CHECK_FALSE(warning.message.empty());
    }
    result.error = reader->error();
    return result;
}

} // namespace

TEST_CASE("Every corpus capture is read or refused with a worded error", "[io][corpus]") {
    if (!corpusAvailable()) return;
    std::uint64_t files = 0, opened = 0, frames = 0, failures = 0, warnings = 0;
    std::map<std::string, int> errorsByMessage;
    for (const auto& path : corpusFiles()) {
        const auto result = readFile(path);
        ++files;
        frames += result.frames;
        warnings += result.warnings;
        opened += result.opened ? 1 : 0;
        if (result.error) {
            ++failures;
            INFO(path.string());
            CHECK(result.error->file == path.string());
            CHECK_FALSE(result.error->message.empty());
            CHECK(result.error->toString().rfind(path.string() + ": ", 0) == 0);
            // Open failures concern the whole file, read errors name the frame.
            CHECK((result.error->packet == 0) == !result.opened);
            ++errorsByMessage[(result.opened ? "read: " : "open: ") +
                              messageShape(result.error->message)];
        }
    }
    std::ostringstream summary;
    summary << "corpus " << kCorpusDir.string() << ": " << files << " files, " << opened
            << " opened, " << frames << " frames read, " << warnings
            << " frames skipped with a warning, " << failures << " with an error";
    for (const auto& [message, count] : errorsByMessage)
        summary << "\n  " << count << " x " << message;
    WARN(summary.str());
    CHECK(files > 0);
}

TEST_CASE("Corpus frame counts and errors agree with libpcap 1.10.3 (MANIFEST.tsv)",
          "[io][corpus]") {
    if (!corpusAvailable()) return;
    const fs::path manifestPath = kCorpusDir.parent_path() / "MANIFEST.tsv";
    std::ifstream manifest(manifestPath);
    if (!manifest) {
        WARN(manifestPath.string() << " not found: manifest comparison skipped");
        return;
    }
    std::string line;
    REQUIRE(std::getline(manifest, line));
    std::vector<std::string> header;
    {
        std::istringstream columns(line);
        for (std::string column; std::getline(columns, column, '\t');)
            header.push_back(column);
    }
    const auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    };
    const std::size_t fileColumn = column("file");
    const std::size_t linkColumn = column("linktypes");
    const std::size_t resultColumn = column("libpcap_1.10.3_result");

    static const std::regex countOnly(R"(^([0-9]+)$)");
    static const std::regex countThenError(R"(^([0-9]+), then error: (.+)$)");
    static const std::regex openFails(R"(^open fails: (.+)$)");
    static const std::regex linkNumber(R"(\(([0-9]+)\))");

    std::vector<std::string> mismatches;
    int rows = 0, agreed = 0;
    while (std::getline(manifest, line)) {
        if (line.empty()) continue;
        std::vector<std::string> fields;
        std::istringstream split(line);
        for (std::string field; std::getline(split, field, '\t');)
            fields.push_back(field);
        if (fields.size() <= std::max({fileColumn, linkColumn, resultColumn}))
            fields.resize(header.size());
        ++rows;
        const std::string& name = fields[fileColumn];
        const std::string& expected = fields[resultColumn];
        const auto result = readFile(kCorpusDir / name);
        std::smatch match;
        std::smatch link;
        const bool linkKnown = std::regex_search(fields[linkColumn], link, linkNumber);
        const int firstLinkType = linkKnown ? std::stoi(link[1]) : -1;

        std::string problem;
        const auto errorText = result.error ? result.error->message : std::string("no error");
        if (std::regex_match(expected, match, openFails)) {
            if (result.opened || errorText.find(match[1].str()) == std::string::npos)
                problem = "expected open to fail with \"" + match[1].str() + "\", got " +
                          (result.opened ? "an open reader" : "\"" + errorText + "\"");
        } else if (linkKnown && !supportedLinkType(firstLinkType)) {
            if (result.opened || errorText.find("is not supported") == std::string::npos)
                problem = "expected the link type to be refused, got \"" + errorText + "\"";
        } else if (std::regex_match(expected, match, countOnly)) {
            const auto count = std::stoull(match[1]);
            if (!result.opened || result.frames != count || result.error)
                problem = "expected " + std::to_string(count) + " frames, got " +
                          std::to_string(result.frames) + " and " + errorText;
        } else if (std::regex_match(expected, match, countThenError)) {
            const auto count = std::stoull(match[1]);
            if (!result.opened || result.frames != count || !result.error ||
                result.error->packet != count + 1 ||
                errorText.find(match[2].str()) == std::string::npos)
                problem = "expected " + std::to_string(count) + " frames then \"" + match[2].str() +
                          "\", got " + std::to_string(result.frames) + " and " + errorText;
        } else {
            problem = "unrecognised manifest result \"" + expected + "\"";
        }
        if (problem.empty())
            ++agreed;
        else
            mismatches.push_back(name + ": " + problem);
    }
    std::ostringstream report;
    report << "MANIFEST.tsv: " << agreed << " of " << rows << " files agree with libpcap 1.10.3";
    for (const auto& mismatch : mismatches)
        report << "\n  " << mismatch;
    if (mismatches.empty())
        WARN(report.str());
    else
        FAIL_CHECK(report.str());
    CHECK(rows > 0);
}
