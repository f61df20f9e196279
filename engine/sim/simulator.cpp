// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/simulator.h"

#include "stack/host.h"

#include <fmt/format.h>

namespace stackscope {

Simulator::Simulator(const HostConfig& config, std::uint64_t seed)
    : m_host(std::make_unique<stack::Host>(config, seed)) {}

Simulator::Simulator(const Simulator& other) : m_host(std::make_unique<stack::Host>(*other.m_host)) {
    m_host->traceObservers.clear();
    m_host->dropObservers.clear();
    m_host->txObservers.clear();
}

Simulator& Simulator::operator=(const Simulator& other) {
    if (this != &other) {
        m_host = std::make_unique<stack::Host>(*other.m_host);
        m_host->traceObservers.clear();
        m_host->dropObservers.clear();
        m_host->txObservers.clear();
    }
    return *this;
}

Simulator::Simulator(Simulator&&) noexcept = default;
Simulator& Simulator::operator=(Simulator&&) noexcept = default;
Simulator::~Simulator() = default;

void Simulator::setInput(std::shared_ptr<const std::vector<InputFrame>> frames) {
    m_host->setInput(std::move(frames));
}
void Simulator::setInput(FrameSource* source) { m_host->setInput(source); }
void Simulator::addTraceObserver(TraceObserver* o) { m_host->traceObservers.push_back(o); }
void Simulator::addDropObserver(DropObserver* o) { m_host->dropObservers.push_back(o); }
void Simulator::addTxObserver(TxObserver* o) { m_host->txObservers.push_back(o); }
void Simulator::setJournalling(bool on) { m_host->counters().setJournalling(on); }
bool Simulator::tracing() const { return m_host->tracing(); }
bool Simulator::hasWork() const { return m_host->hasWork(); }
Nanos Simulator::nextEventTime() const { return m_host->nextEventTime(); }
bool Simulator::step() { return m_host->step(); }

void Simulator::runUntil(Nanos deadline) {
    while (m_host->hasWork() && m_host->nextEventTime() <= deadline) m_host->step();
}

void Simulator::run(Nanos settle) {
    // Input first; the settle time counts from the last input frame (or from now when the
    // input was empty), then every event due by then runs.
    m_host->runSettled(settle);
}

bool Simulator::inputPending() const {
    return m_host->inputPending();
}

Nanos Simulator::now() const { return m_host->now(); }
std::uint64_t Simulator::traceCount() const { return m_host->traceCount(); }
std::uint64_t Simulator::packetsInjected() const { return m_host->packetsInjected(); }
const HostConfig& Simulator::config() const { return m_host->config(); }
const Counters& Simulator::counters() const { return m_host->counters(); }
stack::Host& Simulator::host() { return *m_host; }
const stack::Host& Simulator::host() const { return *m_host; }
std::string Simulator::interfaceName(int ifindex) const { return m_host->deviceName(ifindex); }

std::vector<SocketRow> Simulator::sockets() const {
    std::vector<SocketRow> rows;
    for (const auto& s : m_host->sockets()) {
        SocketRow r;
        r.protocol = s.config.protocol == SocketProtocol::Udp ? "udp" : "tcp";
        r.local = fmt::format("{}:{}", s.config.bindAddress.toString(), s.boundPort);
        r.remote = s.config.connectAddress
                       ? fmt::format("{}:{}", s.config.connectAddress->toString(),
                                     s.config.connectPort ? std::to_string(*s.config.connectPort) : "*")
                       : std::string("0.0.0.0:*");
        r.state = s.config.listen ? "LISTEN" : (s.config.connectAddress ? "ESTAB" : "UNCONN");
        r.rmemAlloc = s.rmemAlloc;
        r.rcvbuf = s.rcvbuf;
        r.queued = s.receiveQueue.size();
        r.drops = s.drops;
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<NeighbourRow> Simulator::neighbours() const {
    std::vector<NeighbourRow> rows;
    for (const auto& [key, n] : m_host->neighbours()) {
        NeighbourRow r;
        r.address = n.address.toString();
        r.device = m_host->deviceName(n.device);
        r.lladdr = n.lladdr ? n.lladdr->toString() : std::string();
        std::string state(neighStateName(n.state));
        for (auto& c : state) c = char(std::toupper(static_cast<unsigned char>(c)));
        r.state = state;
        r.queued = n.arpQueue.size();
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<RouteRow> Simulator::routes() const {
    std::vector<RouteRow> rows;
    for (auto& line : m_host->fib().describe(m_host->config()))
        rows.push_back({line, line.find("table local") != std::string::npos ? 255u : 254u});
    return rows;
}

} // namespace stackscope
