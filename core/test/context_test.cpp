// The C++ API (hb_beamr::Context) used directly: life cycle and live_count,
// host functions as lambdas (bindings and default, with re-entrancy), calls,
// traps, memory and globals, each failure with its ErrorKind and last_error.
#include <algorithm>
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using ContextTest = RuntimeTest;

std::unique_ptr<Context> loaded_cpp(const std::string &name) {
  std::unique_ptr<Context> ctx = Context::create();
  if (!ctx) {
    ADD_FAILURE() << "Context::create returned null";
    return nullptr;
  }
  std::vector<uint8_t> bytes = read_fixture(name);
  Status status = ctx->load(bytes.data(), bytes.size());
  if (!status) {
    ADD_FAILURE() << "load " << name << ": " << status.error().message;
    return nullptr;
  }
  return ctx;
}

TEST_F(ContextTest, RuntimeQueries) {
  EXPECT_EQ(State::runtime_initialized, runtime::state());
  EXPECT_STREQ(HB_BEAMR_ENGINE_NAME, runtime::engine_name());
  Status again = runtime::init(nullptr);
  ASSERT_FALSE(again);
  EXPECT_EQ(ErrorKind::invalid_state, again.error().kind);
  runtime::destroy();
  EXPECT_EQ(State::runtime_destroyed, runtime::state());
  ASSERT_TRUE(runtime::init(nullptr));
  EXPECT_EQ(State::runtime_initialized, runtime::state());
}

TEST_F(ContextTest, LiveCountFollowsCreateAndDestroy) {
  size_t before = Context::live_count();
  {
    std::unique_ptr<Context> a = Context::create();
    std::unique_ptr<Context> b = loaded_cpp("fac");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(before + 2, Context::live_count());
    ASSERT_TRUE(b->instantiate(nullptr, {}));
    EXPECT_EQ(before + 2, Context::live_count());
  }
  EXPECT_EQ(before, Context::live_count());
}

TEST_F(ContextTest, StatesAlongTheHappyPath) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(State::context_created, ctx->state());
  EXPECT_EQ("", ctx->last_error());
  std::vector<uint8_t> bytes = read_fixture("fac");
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()));
  EXPECT_EQ(State::module_loaded, ctx->state());
  ASSERT_TRUE(ctx->instantiate(nullptr, {}));
  EXPECT_EQ(State::instantiated, ctx->state());
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("fac", {f64_val(6.0)}, results)) << ctx->last_error();
  ASSERT_EQ(1u, results.size()) << "results resized to the result count";
  EXPECT_EQ(WASM_F64, results[0].kind);
  EXPECT_DOUBLE_EQ(720.0, results[0].of.f64);
  EXPECT_EQ(State::instantiated, ctx->state());
}

TEST_F(ContextTest, ResultsAreResizedWhateverTheirSize) {
  std::unique_ptr<Context> ctx = loaded_cpp("values");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->instantiate(nullptr, {}));
  std::vector<wasm_val_t> results(10);
  ASSERT_TRUE(ctx->call("nothing", {}, results)) << ctx->last_error();
  EXPECT_TRUE(results.empty());
  ASSERT_TRUE(ctx->call(
      "reverse4", {i32_val(1), i64_val(2), f32_val(3), f64_val(4)}, results))
      << ctx->last_error();
  ASSERT_EQ(4u, results.size());
  EXPECT_DOUBLE_EQ(4.0, results[0].of.f64);
  EXPECT_EQ(1, results[3].of.i32);
}

TEST_F(ContextTest, InvalidStateNamesStateAndOperation) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  Status status = ctx->instantiate(nullptr, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_state, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "CONTEXT_CREATED"))
      << status.error().message;
  EXPECT_TRUE(contains(status.error().message, "instantiate") ||
              contains(status.error().message, "MODULE_LOADED"))
      << status.error().message;
  EXPECT_EQ(status.error().message, ctx->last_error());
  std::vector<wasm_val_t> results;
  status = ctx->call("fac", {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_state, status.error().kind);
  Result<uint64_t> size = ctx->memory_size();
  ASSERT_FALSE(size);
  EXPECT_EQ(ErrorKind::invalid_state, size.error().kind);
  Result<std::vector<uint8_t>> bytes = ctx->serialize_module();
  ASSERT_FALSE(bytes);
  EXPECT_EQ(ErrorKind::invalid_state, bytes.error().kind);
}

TEST_F(ContextTest, LambdaBindingAndDefault) {
  std::unique_ptr<Context> ctx = loaded_cpp("imports_all");
  ASSERT_TRUE(ctx);
  int add_calls = 0;
  std::vector<std::string> default_names;
  HostFunction add = [&](HostCall &call) -> Status {
    ++add_calls;
    EXPECT_EQ("env", call.import.module);
    EXPECT_EQ("add_i64", call.import.name);
    EXPECT_EQ("(II)I", call.import.func.text());
    call.results[0] = i64_val(call.args[0].of.i64 + call.args[1].of.i64);
    return {};
  };
  HostFunction fallback = [&](HostCall &call) -> Status {
    default_names.push_back(call.import.module + "." + call.import.name);
    EXPECT_EQ(State::awaiting_import, call.context.state());
    call.results[0] = f64_val(call.args[2].of.f64 * 2);
    return {};
  };
  ASSERT_TRUE(ctx->instantiate(fallback, {{"env", "add_i64", add}}))
      << ctx->last_error();
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("call_add_i64", {i64_val(40), i64_val(2)}, results))
      << ctx->last_error();
  EXPECT_EQ(42, results.at(0).of.i64);
  ASSERT_TRUE(
      ctx->call("call_mix", {i32_val(0), f32_val(0), f64_val(1.5)}, results))
      << ctx->last_error();
  EXPECT_DOUBLE_EQ(3.0, results.at(0).of.f64);
  EXPECT_EQ(1, add_calls);
  EXPECT_EQ(std::vector<std::string>{"host.mix"}, default_names);
}

TEST_F(ContextTest, MissingImportIsALinkError) {
  std::unique_ptr<Context> ctx = loaded_cpp("unsat");
  ASSERT_TRUE(ctx);
  Status status = ctx->instantiate(nullptr, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::link, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "missing"))
      << status.error().message;
}

TEST_F(ContextTest, HostErrorBecomesATrapWithItsMessage) {
  std::unique_ptr<Context> ctx = loaded_cpp("traps");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->instantiate(
      [](HostCall &) -> Status {
        return make_error(ErrorKind::invalid_argument, "the host says no");
      },
      {}));
  std::vector<wasm_val_t> results;
  Status status = ctx->call("host_trap", {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "the host says no"))
      << status.error().message;
  EXPECT_EQ(State::trapped, ctx->state());
  ASSERT_TRUE(ctx->call("answer", {}, results)) << ctx->last_error();
  EXPECT_EQ(42, results.at(0).of.i32);
  EXPECT_EQ(State::instantiated, ctx->state());
}

TEST_F(ContextTest, WasmTrapKind) {
  std::unique_ptr<Context> ctx = loaded_cpp("traps");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->instantiate([](HostCall &) -> Status { return {}; }, {}));
  std::vector<wasm_val_t> results;
  Status status = ctx->call("div_by_zero", {i32_val(3)}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "divide by zero"))
      << status.error().message;
}

TEST_F(ContextTest, NestedCallsFromALambda) {
  std::unique_ptr<Context> ctx = loaded_cpp("nested");
  ASSERT_TRUE(ctx);
  int max_depth = 0;
  int depth = 0;
  HostFunction descend = [&](HostCall &call) -> Status {
    ++depth;
    max_depth = std::max(max_depth, depth);
    std::vector<wasm_val_t> inner;
    Status status =
        call.context.call("descend", {i32_val(call.args[0].of.i32 - 1)}, inner);
    --depth;
    if (!status)
      return status;
    call.results[0] = inner.at(0);
    return {};
  };
  ASSERT_TRUE(ctx->instantiate(nullptr, {{"env", "callback", descend}}));
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("descend", {i32_val(25)}, results))
      << ctx->last_error();
  EXPECT_EQ(25, results.at(0).of.i32);
  EXPECT_EQ(25, max_depth);
  EXPECT_EQ(State::instantiated, ctx->state());
}

TEST_F(ContextTest, ArgumentAndLookupErrorKinds) {
  std::unique_ptr<Context> ctx = loaded_cpp("values");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->instantiate(nullptr, {}));
  std::vector<wasm_val_t> results;
  Status status = ctx->call("id_i32", {f64_val(1)}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_argument, status.error().kind);
  status = ctx->call("id_i32", {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_argument, status.error().kind);
  status = ctx->call("missing_export", {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::lookup, status.error().kind);
  status = ctx->call("counter", {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::lookup, status.error().kind);
  EXPECT_EQ(State::instantiated, ctx->state());
}

TEST_F(ContextTest, GlobalsAndMemory) {
  std::unique_ptr<Context> values = loaded_cpp("values");
  std::unique_ptr<Context> memory = loaded_cpp("mem_bounded");
  ASSERT_TRUE(values && memory);
  ASSERT_TRUE(values->instantiate(nullptr, {}));
  ASSERT_TRUE(memory->instantiate(nullptr, {}));

  Result<wasm_val_t> counter = values->global_get("counter");
  ASSERT_TRUE(counter) << counter.error().message;
  EXPECT_EQ(7, counter.value().of.i32);
  ASSERT_TRUE(values->global_set("counter", i32_val(8)));
  EXPECT_EQ(8, values->global_get("counter").value().of.i32);
  Status status = values->global_set("answer", i64_val(0));
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_argument, status.error().kind);
  status = values->global_set("counter", f64_val(0));
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_argument, status.error().kind);
  Result<wasm_val_t> unknown = values->global_get("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(ErrorKind::lookup, unknown.error().kind);

  Result<uint64_t> size = memory->memory_size();
  ASSERT_TRUE(size);
  EXPECT_EQ(65536u, size.value());
  const char text[] = "abc";
  ASSERT_TRUE(memory->memory_write(65536 - sizeof text, text, sizeof text));
  char back[sizeof text] = {};
  ASSERT_TRUE(memory->memory_read(65536 - sizeof text, back, sizeof back));
  EXPECT_STREQ("abc", back);
  status = memory->memory_write(65536 - 1, text, sizeof text);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::out_of_bounds, status.error().kind);
  Result<uint64_t> old_pages = memory->memory_grow(1);
  ASSERT_TRUE(old_pages);
  EXPECT_EQ(1u, old_pages.value());
  Result<uint64_t> too_far = memory->memory_grow(1);
  ASSERT_FALSE(too_far);
  EXPECT_EQ(ErrorKind::out_of_bounds, too_far.error().kind);
}

TEST_F(ContextTest, RuntimeDestroyedUnderAContext) {
  std::unique_ptr<Context> ctx = loaded_cpp("fac");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->instantiate(nullptr, {}));
  runtime::destroy();
  EXPECT_EQ(State::runtime_destroyed, ctx->state());
  std::vector<wasm_val_t> results;
  Status status = ctx->call("fac", {f64_val(1)}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_state, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "RUNTIME_DESTROYED"))
      << status.error().message;
}

TEST_F(ContextTest, ContextWithoutRuntime) {
  runtime::destroy();
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(State::uninitialized, ctx->state());
  std::vector<uint8_t> bytes = read_fixture("fac");
  Status status = ctx->load(bytes.data(), bytes.size());
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_state, status.error().kind);
}

} // namespace
} // namespace hb_beamr::test
