// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/error.h"

namespace stackscope::wire {

std::string_view errorName(Error error) {
    switch (error) {
    case Error::Truncated:
        return "truncated";
    case Error::BadVersion:
        return "bad version";
    case Error::BadHeaderLength:
        return "bad header length";
    case Error::BadTotalLength:
        return "bad total length";
    case Error::BadChecksum:
        return "bad checksum";
    case Error::Malformed:
        return "malformed";
    case Error::Unsupported:
        return "unsupported";
    }
    return "unknown";
}

} // namespace stackscope::wire
