//! Runs the rewritten fixtures on Wasmtime (built with the `wasmtime`
//! feature only): the standard form must behave as the legacy semantics say.

use wasmtime_c_api::wasmtime::{
    Config, Engine, Instance, Module, Store, ThrownException, Trap, Val,
};

use super::fixtures::{self, Expect, Value};
use super::{rewrite, wasm};

fn engine() -> Engine {
    let mut config = Config::new();
    config
        .wasm_exceptions(true)
        .wasm_gc(true)
        .wasm_function_references(true)
        .wasm_memory64(true)
        .wasm_tail_call(true);
    Engine::new(&config).expect("engine")
}

fn to_val(value: Value) -> Val {
    match value {
        Value::I32(v) => Val::I32(v),
        Value::I64(v) => Val::I64(v),
    }
}

fn from_val(value: &Val) -> Value {
    match value {
        Val::I32(v) => Value::I32(*v),
        Val::I64(v) => Value::I64(*v),
        other => panic!("unexpected result {other:?}"),
    }
}

/// What a call did.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Returned(Vec<Value>),
    Threw,
    Trapped,
}

impl Outcome {
    fn is(&self, expect: Expect) -> bool {
        match (self, expect) {
            (Outcome::Returned(got), Expect::Returns(want)) => got.as_slice() == want,
            (Outcome::Threw, Expect::Throws) | (Outcome::Trapped, Expect::Traps) => true,
            _ => false,
        }
    }
}

/// What calling `export` with `args` did.
fn outcome(store: &mut Store<()>, instance: &Instance, export: &str, args: &[Value]) -> Outcome {
    let func = instance
        .get_func(&mut *store, export)
        .unwrap_or_else(|| panic!("no export {export}"));
    let params: Vec<Val> = args.iter().copied().map(to_val).collect();
    let mut results = vec![Val::I32(0); func.ty(&*store).results().len()];
    match func.call(&mut *store, &params, &mut results) {
        Ok(()) => Outcome::Returned(results.iter().map(from_val).collect()),
        Err(error) if error.downcast_ref::<ThrownException>().is_some() => {
            store.take_pending_exception();
            Outcome::Threw
        }
        Err(error) if error.downcast_ref::<Trap>().is_some() => Outcome::Trapped,
        Err(error) => panic!("{export}: unexpected error {error:?}"),
    }
}

#[test]
fn wasmtime_rejects_legacy_exception_handling() {
    let legacy = wasm(&fixtures::all()[0].text());
    assert!(Module::new(&engine(), &legacy).is_err());
}

#[test]
fn rewritten_fixtures_behave_like_the_legacy_semantics() {
    let engine = engine();
    let mut failures = Vec::new();
    for fixture in fixtures::all() {
        let bytes = rewrite(&fixture.text());
        let module = Module::new(&engine, &bytes)
            .unwrap_or_else(|e| panic!("{}: Wasmtime rejects the output: {e:?}", fixture.name));
        for call in fixture.calls {
            // A fresh instance per call: a trap or exception leaves no state.
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instance");
            let got = outcome(&mut store, &instance, call.export, call.args);
            if !got.is(call.expect) {
                failures.push(format!(
                    "{} {}{:?}: expected {:?}, got {got:?}",
                    fixture.name, call.export, call.args, call.expect
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
