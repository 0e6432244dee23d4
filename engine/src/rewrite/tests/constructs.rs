//! Every fixture rewrites into a valid module, and the shape of the output
//! follows the translation scheme (locals, types, untouched bodies).

use wasmparser::{Parser, Payload, ValType};

use super::{bodies, fixtures, has_legacy_operator, rewrite, wasm};

#[test]
fn every_fixture_rewrites_to_a_valid_module() {
    for fixture in fixtures::all() {
        let output = rewrite(&fixture.text());
        assert!(!has_legacy_operator(&output), "{}", fixture.name);
        check_calls_match_exports(fixture, &output);
    }
}

/// Each call names an export with as many parameters and results as it
/// passes and expects, so the fixtures stay consistent where they are not
/// run.
fn check_calls_match_exports(fixture: &fixtures::Fixture, bytes: &[u8]) {
    let mut types = Vec::new();
    let mut functions = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("valid module") {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.expect("type").into_types() {
                        let func = sub.unwrap_func();
                        types.push((func.params().len(), func.results().len()));
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                functions.extend(reader.into_iter().map(|ty| ty.expect("function")));
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.expect("export");
                    exports.push((export.name.to_string(), export.index));
                }
            }
            _ => {}
        }
    }
    for call in fixture.calls {
        let (_, index) = exports
            .iter()
            .find(|(name, _)| name == call.export)
            .unwrap_or_else(|| panic!("{}: no export {}", fixture.name, call.export));
        let (params, results) = types[functions[*index as usize] as usize];
        assert_eq!(params, call.args.len(), "{}: {}", fixture.name, call.export);
        if let fixtures::Expect::Returns(values) = call.expect {
            assert_eq!(results, values.len(), "{}: {}", fixture.name, call.export);
        }
    }
}

/// The local declarations of each function body.
fn locals(bytes: &[u8]) -> Vec<Vec<(u32, ValType)>> {
    let mut result = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            let reader = body.get_locals_reader().expect("locals");
            result.push(reader.into_iter().map(|l| l.expect("local")).collect());
        }
    }
    result
}

/// How many types the type section defines.
fn type_count(bytes: &[u8]) -> u32 {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::TypeSection(reader)) = payload {
            return reader.count();
        }
    }
    0
}

#[test]
fn one_exception_local_per_handler_level() {
    let output = rewrite(
        r#"(module (tag $e)
          (func (param i32) (local f64)
            try
            catch_all
              try
              catch $e
                try
                catch_all
                end
              end
              try
              catch_all
              end
            end
            try
            catch_all
            end))"#,
    );
    let exnref = ValType::Ref(wasmparser::RefType::EXNREF);
    assert_eq!(locals(&output)[0], vec![(1, ValType::F64), (3, exnref)]);
}

#[test]
fn delegates_alone_add_no_locals_and_no_types() {
    let input = wasm(
        r#"(module (tag $e)
          (func
            try
              try
                throw $e
              delegate 0
            end
            block
              try
              delegate 0
            end))"#,
    );
    let output = super::rewrite_bytes(&input);
    assert!(locals(&output)[0].is_empty());
    assert_eq!(type_count(&output), type_count(&input));
}

#[test]
fn new_types_are_shared_and_appended() {
    let input = wasm(
        r#"(module
          (type $sig (func (param i32) (result i32)))
          (tag $e (param i64))
          (func (type $sig)
            local.get 0
            try (type $sig)
            catch $e
              drop
              i32.const 1
            end
            try (type $sig)
            catch $e
              drop
              i32.const 2
            end))"#,
    );
    let output = super::rewrite_bytes(&input);
    // One new type, [i32] -> [i64 exnref], used by both tries.
    assert_eq!(type_count(&output), type_count(&input) + 1);
    let input_types = super::sections(&input, false)[0].1.clone();
    let output_types = super::sections(&output, false)[0].1.clone();
    assert_eq!(output_types[1..input_types.len()], input_types[1..]);
}

#[test]
fn catchless_try_becomes_a_block() {
    let output = rewrite(
        r#"(module
          (func (result i32)
            try (result i32)
              i32.const 1
            end
            try
              try
              catch_all
              end
            end))"#,
    );
    let body = &bodies(&output)[0];
    assert!(body[0].starts_with("Block"), "{body:?}");
}

#[test]
fn bodies_without_legacy_eh_are_copied() {
    let input = wasm(
        r#"(module
          (func $plain (param i32) (result i32)
            local.get 0
            i32.const 1
            i32.add)
          (func
            try
            catch_all
            end)
          (func $also-plain (result i64)
            i64.const 5))"#,
    );
    let output = super::rewrite_bytes(&input);
    let code = |bytes: &[u8]| -> Vec<Vec<u8>> {
        Parser::new(0)
            .parse_all(bytes)
            .filter_map(|p| match p {
                Ok(Payload::CodeSectionEntry(body)) => Some(body.as_bytes().to_vec()),
                _ => None,
            })
            .collect()
    };
    let (before, after) = (code(&input), code(&output));
    assert_eq!(before.len(), after.len());
    assert_eq!(before[0], after[0]);
    assert_ne!(before[1], after[1]);
    assert_eq!(before[2], after[2]);
}

/// A module with one function: `depth` tries nested in each other's bodies
/// (the innermost delegating to the caller), then `depth` tries nested in
/// each other's handlers (each rethrowing).
fn deeply_nested(depth: u32) -> Vec<u8> {
    use wasm_encoder::{
        BlockType, CodeSection, Function, FunctionSection, Instruction, Module, TagKind,
        TagSection, TagType, TypeSection,
    };
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut tags = TagSection::new();
    tags.tag(TagType {
        kind: TagKind::Exception,
        func_type_idx: 0,
    });
    let mut body = Function::new([]);
    for _ in 0..depth {
        body.instruction(&Instruction::Try(BlockType::Empty));
    }
    body.instruction(&Instruction::Try(BlockType::Empty));
    body.instruction(&Instruction::Throw(0));
    body.instruction(&Instruction::Delegate(depth));
    for _ in 0..depth {
        body.instruction(&Instruction::CatchAll);
        body.instruction(&Instruction::Rethrow(0));
        body.instruction(&Instruction::End);
    }
    for _ in 0..depth {
        body.instruction(&Instruction::Try(BlockType::Empty));
        body.instruction(&Instruction::Throw(0));
        body.instruction(&Instruction::CatchAll);
    }
    body.instruction(&Instruction::Rethrow(depth - 1));
    for _ in 0..depth {
        body.instruction(&Instruction::End);
    }
    body.instruction(&Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&functions)
        .section(&tags)
        .section(&code);
    module.finish()
}

#[test]
fn deep_nesting_needs_no_recursion() {
    let depth = 3000;
    let output = super::rewrite_bytes(&deeply_nested(depth));
    let exnref = ValType::Ref(wasmparser::RefType::EXNREF);
    assert_eq!(locals(&output)[0], vec![(depth, exnref)]);
}
