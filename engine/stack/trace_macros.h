// SPDX-License-Identifier: GPL-3.0-or-later
// Trace calls whose text is built only when someone is listening: batch runs
// over millions of packets must not pay for formatting narration nobody reads.
// The arguments after the fixed ones are not evaluated when tracing is off.
#pragma once

#define SS_TRACE(...) (tracing() ? trace(__VA_ARGS__) : countTrace())
#define SS_DROP(skb, stage, reason, ...)                                                           \
    (tracing() ? drop(skb, stage, reason, __VA_ARGS__) : dropQuiet(skb, stage, reason))
