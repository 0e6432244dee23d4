// Import and export enumeration: counts, kinds, names, module names and
// signature strings (i=i32 I=i64 f=f32 F=f64 V=v128 r=funcref e=externref;
// globals "i" / "mut I", memories "i32:1..2", tables "r:1..10"), in module
// order, through the C facade and the C++ API.
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using ExternDescTest = RuntimeTest;

struct Expected {
  hb_beamr_capi_extern_kind_t kind;
  const char *module;
  const char *name;
  const char *signature;
};

void expect_externs(hb_beamr_capi_lib_context_t *ctx, bool imports,
                    const std::vector<Expected> &expected) {
  size_t count = imports ? hb_beamr_capi_lib_import_count(ctx)
                         : hb_beamr_capi_lib_export_count(ctx);
  ASSERT_EQ(expected.size(), count);
  for (size_t i = 0; i < count; ++i) {
    SCOPED_TRACE((imports ? "import " : "export ") + std::to_string(i));
    hb_beamr_capi_extern_desc_t desc{};
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              imports ? hb_beamr_capi_lib_import_at(ctx, i, &desc)
                      : hb_beamr_capi_lib_export_at(ctx, i, &desc))
        << last_error(ctx);
    ASSERT_NE(nullptr, desc.module_name);
    ASSERT_NE(nullptr, desc.name);
    ASSERT_NE(nullptr, desc.signature);
    EXPECT_EQ(expected[i].kind, desc.kind);
    EXPECT_STREQ(expected[i].module, desc.module_name);
    EXPECT_STREQ(expected[i].name, desc.name);
    EXPECT_STREQ(expected[i].signature, desc.signature);
  }
}

TEST_F(ExternDescTest, EveryScalarAndReferenceLetterAndExportKind) {
  ContextPtr ctx = loaded("signatures");
  ASSERT_TRUE(ctx);
  expect_externs(ctx.get(), false,
                 {
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "all_types", "(iIfFre)i"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "empty", "()"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "multi", "(F)fI"},
                     {HB_BEAMR_CAPI_EXTERN_MEMORY, "", "memory", "i32:1..2"},
                     {HB_BEAMR_CAPI_EXTERN_TABLE, "", "table", "r:1..10"},
                     {HB_BEAMR_CAPI_EXTERN_GLOBAL, "", "const_i32", "i"},
                     {HB_BEAMR_CAPI_EXTERN_GLOBAL, "", "var_i64", "mut I"},
                 });
  EXPECT_EQ(0u, hb_beamr_capi_lib_import_count(ctx.get()));
}

TEST_F(ExternDescTest, V128Letter) {
  HB_BEAMR_REQUIRE(Feature::simd);
  // Loading a SIMD module and describing it must not abort the process.
  ContextPtr ctx = loaded("simd");
  ASSERT_TRUE(ctx);
  expect_externs(ctx.get(), false,
                 {
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "id_v128", "(V)V"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "make_v128", "()V"},
                     {HB_BEAMR_CAPI_EXTERN_GLOBAL, "", "g_v128", "V"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "id_i32", "(i)i"},
                 });
}

TEST_F(ExternDescTest, V128CannotCrossTheBoundaryButIsNoCrash) {
  HB_BEAMR_REQUIRE(Feature::simd);
  ContextPtr ctx = instantiated("simd");
  ASSERT_TRUE(ctx);
  // wasm_val_t has no v128: a call that would pass one in or out is refused.
  std::vector<wasm_val_t> results;
  for (const char *name : {"make_v128", "id_v128"}) {
    hb_beamr_capi_lib_rc_t rc = call(ctx.get(), name, {}, results, 1);
    EXPECT_TRUE(rc == HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED ||
                rc == HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT)
        << name << ": " << hb_beamr_capi_lib_rc_name(rc) << ": "
        << last_error(ctx.get());
  }
  wasm_val_t value{};
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_global_get(ctx.get(), "g_v128", &value);
  EXPECT_TRUE(rc == HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED ||
              rc == HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT)
      << "global_get: " << hb_beamr_capi_lib_rc_name(rc) << ": "
      << last_error(ctx.get());
  EXPECT_EQ(3, call_i32(ctx.get(), "id_i32", {i32_val(3)}));
}

TEST_F(ExternDescTest, ImportsOfEveryKindInModuleOrder) {
  ContextPtr ctx = loaded("imports_all");
  ASSERT_TRUE(ctx);
  expect_externs(ctx.get(), true,
                 {
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "env", "add_i64", "(II)I"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "host", "mix", "(ifF)F"},
                     {HB_BEAMR_CAPI_EXTERN_MEMORY, "env", "memory", "i32:1..2"},
                     {HB_BEAMR_CAPI_EXTERN_TABLE, "env", "table", "r:1..10"},
                     {HB_BEAMR_CAPI_EXTERN_GLOBAL, "env", "counter", "i"},
                     {HB_BEAMR_CAPI_EXTERN_GLOBAL, "env", "level", "mut I"},
                 });
}

TEST_F(ExternDescTest, SimpleModules) {
  ContextPtr fac = loaded("fac");
  ContextPtr pow = loaded("pow");
  ASSERT_TRUE(fac && pow);
  expect_externs(fac.get(), true, {});
  expect_externs(fac.get(), false,
                 {{HB_BEAMR_CAPI_EXTERN_FUNC, "", "fac", "(F)F"}});
  expect_externs(pow.get(), true,
                 {{HB_BEAMR_CAPI_EXTERN_FUNC, "my_lib", "mul", "(FF)F"}});
  expect_externs(pow.get(), false,
                 {{HB_BEAMR_CAPI_EXTERN_FUNC, "", "pow", "(Fi)F"}});
  HB_BEAMR_REQUIRE(Feature::memory64);
  ContextPtr fac64 = loaded("fac64");
  ASSERT_TRUE(fac64);
  expect_externs(fac64.get(), false,
                 {
                     {HB_BEAMR_CAPI_EXTERN_MEMORY, "", "memory", "i64:1.."},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "fac", "(F)F"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "load_byte", "(I)i"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "store_byte", "(Ii)"},
                     {HB_BEAMR_CAPI_EXTERN_FUNC, "", "pages", "()I"},
                 });
}

TEST_F(ExternDescTest, StillAvailableAfterInstantiation) {
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  expect_externs(ctx.get(), false,
                 {{HB_BEAMR_CAPI_EXTERN_FUNC, "", "fac", "(F)F"}});
}

TEST_F(ExternDescTest, NothingBeforeLoad) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(0u, hb_beamr_capi_lib_import_count(ctx.get()));
  EXPECT_EQ(0u, hb_beamr_capi_lib_export_count(ctx.get()));
  hb_beamr_capi_extern_desc_t desc{};
  EXPECT_NE(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_export_at(ctx.get(), 0, &desc));
}

TEST_F(ExternDescTest, IndexPastTheEndIsInvalidArgument) {
  ContextPtr ctx = loaded("pow");
  ASSERT_TRUE(ctx);
  hb_beamr_capi_extern_desc_t desc{};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            hb_beamr_capi_lib_import_at(ctx.get(), 1, &desc));
  EXPECT_FALSE(last_error(ctx.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            hb_beamr_capi_lib_export_at(ctx.get(), 1, &desc));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            hb_beamr_capi_lib_export_at(ctx.get(), SIZE_MAX, &desc));
}

TEST_F(ExternDescTest, StringsStayValidWhileTheContextLives) {
  ContextPtr ctx = loaded("imports_all");
  ASSERT_TRUE(ctx);
  hb_beamr_capi_extern_desc_t first{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_import_at(ctx.get(), 0, &first));
  // Other queries, an error and instantiation must not invalidate them.
  hb_beamr_capi_extern_desc_t other{};
  for (size_t i = 0; i < hb_beamr_capi_lib_import_count(ctx.get()); ++i)
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_import_at(ctx.get(), i, &other));
  EXPECT_NE(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_import_at(ctx.get(), 99, &other));
  EXPECT_STREQ("env", first.module_name);
  EXPECT_STREQ("add_i64", first.name);
  EXPECT_STREQ("(II)I", first.signature);
}

TEST_F(ExternDescTest, CppDescriptions) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(ctx->imports().empty());
  EXPECT_TRUE(ctx->exports().empty());
  std::vector<uint8_t> bytes = read_fixture("imports_all");
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size())) << ctx->last_error();

  const std::vector<ExternDesc> &imports = ctx->imports();
  ASSERT_EQ(6u, imports.size());
  EXPECT_EQ(ExternKind::func, imports[0].kind);
  EXPECT_EQ("env", imports[0].module);
  EXPECT_EQ("add_i64", imports[0].name);
  EXPECT_EQ("(II)I", imports[0].signature);
  EXPECT_EQ((std::vector<ValType>{ValType::i64, ValType::i64}),
            imports[0].func.params);
  EXPECT_EQ(std::vector<ValType>{ValType::i64}, imports[0].func.results);
  EXPECT_EQ(ExternKind::func, imports[1].kind);
  EXPECT_EQ("(ifF)F", imports[1].func.text());
  EXPECT_EQ(ExternKind::memory, imports[2].kind);
  EXPECT_EQ("i32:1..2", imports[2].signature);
  EXPECT_EQ(ExternKind::table, imports[3].kind);
  EXPECT_EQ("r:1..10", imports[3].signature);
  EXPECT_EQ(ExternKind::global, imports[4].kind);
  EXPECT_EQ("i", imports[4].signature);
  EXPECT_EQ(ExternKind::global, imports[5].kind);
  EXPECT_EQ("mut I", imports[5].signature);

  for (const ExternDesc &desc : ctx->exports())
    EXPECT_TRUE(desc.module.empty()) << desc.name;

  // export_signature works on the instance (the header leaves its states
  // open; the implementation needs INSTANTIATED).
  ASSERT_TRUE(ctx->instantiate([](HostCall &) -> Status { return {}; }, {}))
      << ctx->last_error();
  Result<FuncSig> sig = ctx->export_signature("call_mix");
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ("(ifF)F", sig.value().text());
  Result<FuncSig> missing = ctx->export_signature("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(ErrorKind::lookup, missing.error().kind);
  Result<FuncSig> not_func = ctx->export_signature("memory");
  ASSERT_FALSE(not_func);
  EXPECT_EQ(ErrorKind::lookup, not_func.error().kind);
}

} // namespace
} // namespace hb_beamr::test
