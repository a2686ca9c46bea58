// FlowQueue holds one lane's waiting work, grouped by flow (a caller) and,
// within a flow, by call, and serves it the way Kubernetes API Priority and
// Fairness does: start-time fair queuing among flows, so that a flow with a
// deep queue cannot hold back a flow with one item, and round-robin among one
// flow's calls. Each item has a cost (the share of an upstream request it
// fills) and each flow a weight: backlogged flows get cost in proportion to
// their weights. A flow's virtual time keeps the debt it ran up while the
// queue stays busy; an idle queue forgets every flow.
//
// Example:
//   FlowQueue<Work> queue;
//   queue.Push({"caller:a", 1.0}, call, work, /*cost=*/1.0);
//   std::vector<Work> next = queue.Take([](const Work& w) { return Pick::kTake; });
//
// Not thread-safe: its owner holds it under its own lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_QUEUE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_QUEUE_H_

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"

namespace hubspot_gateway {

// Which flow an item belongs to: its name, its weight (> 0), and the largest
// share of a lane's window it may hold (read by the dispatcher, not the queue).
struct FlowKey {
  std::string name;
  double weight = 1.0;
  double max_share = 1.0;
};

// What FlowQueue::Take does with the item it shows next.
enum class Pick { kTake, kSkip, kStop };

template <typename T>
class FlowQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // Queues `item` of call `call` (any pointer naming the call) in `flow`.
  // `front`: ahead of everything of its flow (a retry keeps its place).
  void Push(const FlowKey& flow, const void* call, T item, double cost, bool front = false) {
    auto [it, inserted] = flows_.try_emplace(flow.name);
    Flow& f = it->second;
    f.weight = flow.weight;
    if (f.size == 0) {
      // Newly backlogged: starts at the system's virtual time, or later when
      // it still owes for what it was served.
      f.start = std::max(f.start, virtual_time_);
      f.order = next_order_++;
    }
    auto call_it = std::find_if(f.calls.begin(), f.calls.end(),
                                [call](const Call& c) { return c.key == call; });
    if (call_it == f.calls.end()) {
      call_it = f.calls.insert(front ? f.calls.begin() : f.calls.end(), Call{call, {}});
    } else if (front) {
      f.calls.splice(f.calls.begin(), f.calls, call_it);
    }
    Entry entry{std::move(item), cost};
    if (front) {
      call_it->items.push_front(std::move(entry));
    } else {
      call_it->items.push_back(std::move(entry));
    }
    ++f.size;
    ++size_;
  }

  // The item served next (nullptr when empty), and the name of its flow.
  const T* Front(const std::string** flow = nullptr) {
    std::pair<const std::string, Flow>* head = HeadFlow();
    if (head == nullptr) return nullptr;
    if (flow != nullptr) *flow = &head->first;
    return &head->second.calls.front().items.front().item;
  }

  // Removes the item Front() shows without charging its flow (it is not served).
  T DropFront() {
    Flow& f = HeadFlow()->second;
    Call& call = f.calls.front();
    T item = std::move(call.items.front().item);
    call.items.pop_front();
    if (call.items.empty()) f.calls.pop_front();
    Removed(f, 1);
    return item;
  }

  // Shows queued items in the order they would be served (fair among flows,
  // round-robin among each flow's calls), until `pick` says kStop or all were
  // shown. Items picked kTake leave the queue, each charged to its flow, and
  // come back in that order.
  std::vector<T> Take(absl::FunctionRef<Pick(const T&, const std::string& flow)> pick) {
    struct Cursor {
      std::pair<const std::string, Flow>* flow;
      double start;
      int64_t order;
      // Each call's next item, in round-robin order; `next` is the call whose turn it is.
      std::vector<std::pair<Call*, typename std::list<Entry>::iterator>> calls;
      size_t next = 0;
    };
    std::vector<Cursor> cursors;
    for (auto& named : flows_) {
      Flow& f = named.second;
      if (f.size == 0) continue;
      Cursor cursor{&named, f.start, f.order, {}, 0};
      for (Call& call : f.calls) cursor.calls.emplace_back(&call, call.items.begin());
      cursors.push_back(std::move(cursor));
    }
    if (cursors.empty()) return {};
    // The system's virtual time: the start tag of the item served first.
    virtual_time_ = std::min_element(cursors.begin(), cursors.end(), Earlier<Cursor>)->start;
    struct Taken {
      Flow* flow;
      Call* call;
      typename std::list<Entry>::iterator entry;
    };
    std::vector<Taken> taken;
    std::vector<T> out;
    while (!cursors.empty()) {
      auto best = std::min_element(cursors.begin(), cursors.end(), Earlier<Cursor>);
      Cursor& cursor = *best;
      auto& [call, entry] = cursor.calls[cursor.next];
      Flow& f = cursor.flow->second;
      const Pick decision = pick(entry->item, cursor.flow->first);
      if (decision == Pick::kStop) break;
      cursor.start += entry->cost / f.weight;
      if (decision == Pick::kTake) {
        f.start += entry->cost / f.weight;
        taken.push_back({&f, call, entry});
      }
      if (++entry == call->items.end()) {
        cursor.calls.erase(cursor.calls.begin() + cursor.next);
      } else {
        ++cursor.next;
      }
      if (cursor.calls.empty()) {
        cursors.erase(best);
      } else {
        cursor.next %= cursor.calls.size();
      }
    }
    for (Taken& t : taken) {
      out.push_back(std::move(t.entry->item));
      t.call->items.erase(t.entry);
      Removed(*t.flow, 1);
    }
    // Calls served go to the back of their flow's turn; empty ones leave.
    for (Taken& t : taken) {
      auto call_it = std::find_if(t.flow->calls.begin(), t.flow->calls.end(),
                                  [&t](const Call& c) { return &c == t.call; });
      if (call_it == t.flow->calls.end()) continue;  // Already moved or gone.
      if (call_it->items.empty()) {
        t.flow->calls.erase(call_it);
      } else if (std::next(call_it) != t.flow->calls.end()) {
        t.flow->calls.splice(t.flow->calls.end(), t.flow->calls, call_it);
      }
    }
    Forget();
    return out;
  }

  // Removes (without charging) every item `matches` selects.
  std::vector<T> RemoveIf(absl::FunctionRef<bool(const T&)> matches) {
    std::vector<T> removed;
    for (auto& named : flows_) {
      Flow& f = named.second;
      for (auto call = f.calls.begin(); call != f.calls.end();) {
        for (auto entry = call->items.begin(); entry != call->items.end();) {
          if (matches(entry->item)) {
            removed.push_back(std::move(entry->item));
            entry = call->items.erase(entry);
            Removed(f, 1);
          } else {
            ++entry;
          }
        }
        call = call->items.empty() ? f.calls.erase(call) : std::next(call);
      }
    }
    Forget();
    return removed;
  }

  // Flows with queued items.
  size_t backlogged_flows() const {
    return std::count_if(flows_.begin(), flows_.end(),
                         [](const auto& named) { return named.second.size > 0; });
  }

 private:
  struct Entry {
    T item;
    double cost;
  };
  struct Call {
    const void* key;
    std::list<Entry> items;
  };
  struct Flow {
    double weight = 1.0;
    // The start tag of its next item (its finish tag while it waits for nothing).
    double start = 0;
    // When it last became backlogged: breaks ties first come, first served.
    int64_t order = 0;
    size_t size = 0;
    // Round-robin: the front call is served next.
    std::list<Call> calls;
  };

  template <typename C>
  static bool Earlier(const C& a, const C& b) {
    return a.start != b.start ? a.start < b.start : a.order < b.order;
  }

  std::pair<const std::string, Flow>* HeadFlow() {
    std::pair<const std::string, Flow>* head = nullptr;
    for (auto& named : flows_) {
      if (named.second.size > 0 && (head == nullptr || Earlier(named.second, head->second))) {
        head = &named;
      }
    }
    return head;
  }

  void Removed(Flow& flow, size_t count) {
    flow.size -= count;
    size_ -= count;
  }

  // Flows with nothing queued and no debt left are forgotten; an idle queue
  // starts afresh.
  void Forget() {
    if (size_ == 0) {
      flows_.clear();
      virtual_time_ = 0;
      return;
    }
    for (auto it = flows_.begin(); it != flows_.end();) {
      auto current = it++;
      if (current->second.size == 0 && current->second.start <= virtual_time_) {
        flows_.erase(current);
      }
    }
  }

  absl::node_hash_map<std::string, Flow> flows_;
  double virtual_time_ = 0;
  int64_t next_order_ = 0;
  size_t size_ = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_QUEUE_H_
