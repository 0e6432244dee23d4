// CallStack; see call_stack.hpp.
#include "call_stack.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace hb_beamr::driver {

void CallStack::push(const Tag &tag, Receiver receiver, bool handed_over) {
  calls_.push_back(Call{tag, receiver, handed_over});
}

void CallStack::pop() {
  assert(!calls_.empty());
  if (calls_.back().handed_over)
    ended_hand_over_ = std::move(calls_.back().tag);
  calls_.pop_back();
}

const Tag &CallStack::innermost() const {
  assert(!calls_.empty());
  return calls_.back().tag;
}

Receiver CallStack::receiver(const Tag &tag) const {
  for (auto it = calls_.rbegin(); it != calls_.rend(); ++it)
    if (it->tag == tag)
      return it->receiver;
  return kOwner;
}

bool CallStack::may_answer(const Tag &tag, Receiver from) const {
  for (auto it = calls_.rbegin(); it != calls_.rend(); ++it)
    if (it->tag == tag)
      return it->receiver == from;
  return true;
}

bool CallStack::is_outer(const Tag &tag) const {
  if (calls_.empty())
    return false;
  return std::any_of(calls_.begin(), calls_.end() - 1,
                     [&](const Call &call) { return call.tag == tag; });
}

bool CallStack::is_ended_hand_over(const Tag &tag) const {
  return !ended_hand_over_.empty() && tag == ended_hand_over_;
}

void CallStack::defer(Command &&answer) {
  deferred_.push_back(std::move(answer));
}

std::optional<Command> CallStack::take_deferred(const Tag &tag) {
  const auto it = std::find_if(deferred_.begin(), deferred_.end(),
                               [&](const Command &c) { return c.tag == tag; });
  if (it == deferred_.end())
    return std::nullopt;
  Command answer = std::move(*it);
  deferred_.erase(it);
  return answer;
}

} // namespace hb_beamr::driver
