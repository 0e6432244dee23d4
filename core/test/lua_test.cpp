// The Lua fixture (fixtures/lua/): a Lua 5.4 interpreter built by emscripten
// for wasm64 with legacy exception handling, the shape of an AO process
// module. Lua raises errors with longjmp, which this build turns into
// WebAssembly exceptions (try / catch / rethrow / delegate), so pcall and
// uncaught errors exercise exception handling on every engine: natively on
// WAMR, rewritten to the standard form on Wasmtime.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

// Every import (WASI and emscripten stubs the Lua paths here never need)
// answers with zeros, as hb_beamr:call/3 does.
wasm_trap_t *zeros(hb_beamr_capi_lib_context_t *,
                   const hb_beamr_capi_import_info_t *, const wasm_val_t *,
                   size_t, wasm_val_t *, size_t, void *) {
  return nullptr;
}

class LuaTest : public InstantiatedTest {
protected:
  LuaTest() : InstantiatedTest("lua", zeros, Feature::memory64) {}

  // Runs `code` through the module's handle() and returns its answer, or
  // "<failed: ...>" with the reason.
  std::string eval(const std::string &code) {
    hb_beamr_capi_lib_context_t *ctx = ctx_.get();
    std::vector<wasm_val_t> results;
    if (call(ctx, "malloc", {i64_val(static_cast<int64_t>(code.size() + 1))},
             results, 1) != HB_BEAMR_CAPI_LIB_SUCCESS)
      return "<failed: malloc: " + last_error(ctx) + ">";
    const uint64_t in = static_cast<uint64_t>(results[0].of.i64);
    if (hb_beamr_capi_lib_memory_write(ctx, in, code.c_str(),
                                       code.size() + 1) !=
        HB_BEAMR_CAPI_LIB_SUCCESS)
      return "<failed: write: " + last_error(ctx) + ">";
    if (call(ctx, "handle", {i64_val(static_cast<int64_t>(in))}, results, 1) !=
        HB_BEAMR_CAPI_LIB_SUCCESS)
      return "<failed: handle: " + last_error(ctx) + ">";
    const uint64_t out = static_cast<uint64_t>(results[0].of.i64);
    std::vector<wasm_val_t> none;
    if (call(ctx, "free", {i64_val(static_cast<int64_t>(in))}, none, 0) !=
        HB_BEAMR_CAPI_LIB_SUCCESS)
      return "<failed: free: " + last_error(ctx) + ">";
    return read_string(out);
  }

  std::string read_string(uint64_t at) {
    if (at == 0)
      return "<failed: handle returned NULL>";
    std::string text;
    char c = 0;
    while (hb_beamr_capi_lib_memory_read(ctx_.get(), at + text.size(), &c, 1) ==
           HB_BEAMR_CAPI_LIB_SUCCESS) {
      if (c == '\0')
        return text;
      text.push_back(c);
    }
    return "<failed: unterminated string at " + std::to_string(at) + ">";
  }
};

TEST_F(LuaTest, EvaluatesAnExpression) { EXPECT_EQ("2", eval("return 1+1")); }

TEST_F(LuaTest, PcallCatchesAnError) {
  // error() inside pcall: a longjmp, i.e. a WebAssembly throw caught by the
  // try that setjmp became.
  EXPECT_EQ("false boom", eval("local ok, e = pcall(error, 'boom') "
                               "return tostring(ok) .. ' ' .. e"));
  const std::string caught =
      eval("local ok, e = pcall(function() local t = nil; return t.x end) "
           "return 'caught: ' .. e");
  EXPECT_EQ(0u, caught.rfind("caught: handle:1: ", 0)) << caught;
  EXPECT_NE(std::string::npos, caught.find("attempt to index a nil value"))
      << caught;
}

TEST_F(LuaTest, NestedPcallsAndErrorObjects) {
  EXPECT_EQ("inner outer 42", eval("local _, a = pcall(function() "
                                   "  local _, b = pcall(error, 'inner') "
                                   "  error(b .. ' outer', 0) end) "
                                   "local _, t = pcall(error, {code = 42}) "
                                   "return a .. ' ' .. t.code"));
}

TEST_F(LuaTest, UncaughtErrorComesBackAsTextAndTheInstanceGoesOn) {
  const std::string answer = eval("error('no handler')");
  EXPECT_EQ(0u, answer.rfind("error: ", 0)) << answer;
  EXPECT_NE(std::string::npos, answer.find("no handler")) << answer;
  EXPECT_EQ("3", eval("return 1+2"));
  EXPECT_EQ(0u, eval("this is not lua").rfind("error: ", 0));
  EXPECT_EQ("ok", eval("return 'ok'"));
}

TEST_F(LuaTest, CxxExceptionsAreCaught) {
  EXPECT_EQ("caught: from C++", eval("return cxx_catch('from C++')"));
}

TEST_F(LuaTest, GlobalsPersistAcrossCalls) {
  EXPECT_EQ("nil", eval("counter = 10"));
  EXPECT_EQ("11", eval("counter = counter + 1 return counter"));
}

TEST_F(LuaTest, AThousandCallsStayCorrect) {
  ASSERT_EQ("nil", eval("n = 0"));
  for (int i = 1; i <= 1000; ++i) {
    // Every fifth call raises and catches an error on the way.
    const std::string code =
        i % 5 == 0 ? "local ok = pcall(error, 'x') n = n + 1 return n"
                   : "n = n + 1 return n";
    ASSERT_EQ(std::to_string(i), eval(code)) << "call " << i;
  }
}

TEST_F(LuaTest, WorkThatAllocates) {
  EXPECT_EQ("500500", eval("local t = {} for i = 1, 1000 do t[i] = i end "
                           "local s = 0 for _, v in ipairs(t) do s = s + v "
                           "end return s"));
  EXPECT_EQ("100000", eval("return #string.rep('ab', 50000)"));
}

} // namespace
} // namespace hb_beamr::test
