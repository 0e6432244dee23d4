// CallStack: who gets a call's messages, and which answers wait for which
// call while calls are nested.
#include <gtest/gtest.h>

#include "call_stack.hpp"

namespace hb_beamr::driver {
namespace {

Tag tag(char c) { return Tag{static_cast<char>(131), 'a', c}; }

Command answer_for(const Tag &t) {
  Command c;
  c.request = cmd::ImportAnswer{};
  c.tag = t;
  return c;
}

TEST(CallStack, MessagesGoToTheCallsReceiverElseTheOwner) {
  CallStack calls;
  calls.push(tag('a'), 7, true);
  calls.push(tag('b'), 9);
  EXPECT_EQ(calls.receiver(tag('a')), 7u);
  EXPECT_EQ(calls.receiver(tag('b')), 9u);
  EXPECT_EQ(calls.receiver(tag('z')), kOwner);
  EXPECT_EQ(calls.innermost(), tag('b'));
}

TEST(CallStack, OnlyCallsBelowTheInnermostAreOuter) {
  CallStack calls;
  EXPECT_FALSE(calls.is_outer(tag('a')));
  calls.push(tag('a'), kOwner);
  EXPECT_FALSE(calls.is_outer(tag('a')));
  calls.push(tag('b'), kOwner);
  EXPECT_TRUE(calls.is_outer(tag('a')));
  EXPECT_FALSE(calls.is_outer(tag('b')));
  calls.pop();
  EXPECT_FALSE(calls.is_outer(tag('a')));
}

TEST(CallStack, DeferredAnswersComeBackByTagOnce) {
  CallStack calls;
  calls.defer(answer_for(tag('a')));
  calls.defer(answer_for(tag('b')));
  EXPECT_FALSE(calls.take_deferred(tag('c')));
  const std::optional<Command> b = calls.take_deferred(tag('b'));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->tag, tag('b'));
  EXPECT_FALSE(calls.take_deferred(tag('b')));
  EXPECT_TRUE(calls.take_deferred(tag('a')));
}

TEST(CallStack, AHandedOverCallIsRememberedAfterItEnds) {
  CallStack calls;
  calls.push(tag('h'), 42, true);
  calls.push(tag('n'), 42);
  EXPECT_FALSE(calls.is_ended_hand_over(tag('h')));
  calls.pop();
  calls.pop();
  EXPECT_TRUE(calls.empty());
  EXPECT_TRUE(calls.is_ended_hand_over(tag('h')));
  EXPECT_FALSE(calls.is_ended_hand_over(tag('n')));
}

} // namespace
} // namespace hb_beamr::driver
