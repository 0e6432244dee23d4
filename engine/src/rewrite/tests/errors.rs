//! Modules that are left alone, and modules that cannot be rewritten: the
//! error names the function and the byte offset.

use wasm_encoder::{
    BlockType, CodeSection, Function, FunctionSection, ImportSection, Instruction, Module, TagKind,
    TagSection, TagType, TypeSection,
};
use wasmparser::{Parser, Payload};

use super::super::{rewrite_legacy_eh, Outcome};
use super::wasm;

fn error_of(bytes: &[u8]) -> String {
    match rewrite_legacy_eh(bytes) {
        Err(error) => error.message().to_string(),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A module importing one function, whose second defined function (index
/// 2) has `body` after `(tag)` and an empty function.
fn module_with_body(body: &[Instruction<'_>]) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut imports = ImportSection::new();
    imports.import("env", "f", wasm_encoder::EntityType::Function(0));
    let mut functions = FunctionSection::new();
    functions.function(0).function(0);
    let mut tags = TagSection::new();
    tags.tag(TagType {
        kind: TagKind::Exception,
        func_type_idx: 0,
    });
    let mut code = CodeSection::new();
    let mut empty = Function::new([]);
    empty.instruction(&Instruction::End);
    code.function(&empty);
    let mut last = Function::new([]);
    for instruction in body {
        last.instruction(instruction);
    }
    code.function(&last);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&tags)
        .section(&code);
    module.finish()
}

/// The byte range of the last code entry.
fn last_body_range(bytes: &[u8]) -> std::ops::Range<usize> {
    let mut range = 0..0;
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            range = body.range();
        }
    }
    range
}

/// Checks `message` names function 2 and an offset inside its body.
fn assert_in_last_function(bytes: &[u8], message: &str, prefix: &str) {
    let expected = format!("{prefix} in function 2 at offset 0x");
    assert!(message.starts_with(&expected), "{message}");
    let hex: String = message[expected.len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let offset = usize::from_str_radix(&hex, 16).expect("hex offset");
    assert!(last_body_range(bytes).contains(&offset), "{message}");
}

#[test]
fn modules_without_legacy_eh_are_unchanged() {
    let plain = wasm(r#"(module (func (export "f") (result i32) i32.const 1))"#);
    assert_eq!(rewrite_legacy_eh(&plain), Ok(Outcome::Unchanged));
    let standard = wasm(
        r#"(module (tag $e)
          (func (result i32)
            block $h
              try_table (catch $e $h)
                throw $e
              end
            end
            i32.const 1))"#,
    );
    assert_eq!(rewrite_legacy_eh(&standard), Ok(Outcome::Unchanged));
    let empty_module = wasm("(module)");
    assert_eq!(rewrite_legacy_eh(&empty_module), Ok(Outcome::Unchanged));
}

#[test]
fn invalid_modules_without_legacy_eh_are_left_to_the_engine() {
    // Well-formed but invalid: the engine reports it, not the rewriter.
    let invalid = wasm(r#"(module (func (result i32) i64.const 1))"#);
    assert_eq!(rewrite_legacy_eh(&invalid), Ok(Outcome::Unchanged));
}

#[test]
fn garbage_and_truncated_input_is_malformed() {
    assert!(error_of(b"").starts_with("malformed module at offset 0x0"));
    assert!(error_of(b"hello, world").starts_with("malformed module at offset 0x0"));
    let legacy = module_with_body(&[
        Instruction::Try(BlockType::Empty),
        Instruction::CatchAll,
        Instruction::End,
        Instruction::End,
    ]);
    let truncated = &legacy[..legacy.len() - 3];
    assert!(error_of(truncated).starts_with("malformed module"));
}

#[test]
fn rethrow_outside_a_handler_is_invalid() {
    let bytes = module_with_body(&[
        Instruction::Try(BlockType::Empty),
        Instruction::Rethrow(0),
        Instruction::CatchAll,
        Instruction::End,
        Instruction::End,
    ]);
    let message = error_of(&bytes);
    assert_in_last_function(&bytes, &message, "invalid legacy exception handling");
    assert!(message.contains("not a `catch` block"), "{message}");
}

#[test]
fn catch_outside_try_is_malformed() {
    let bytes = module_with_body(&[
        Instruction::Block(BlockType::Empty),
        Instruction::Catch(0),
        Instruction::End,
        Instruction::End,
    ]);
    let message = error_of(&bytes);
    assert_in_last_function(&bytes, &message, "malformed module");
    assert!(message.contains("`catch` found outside"), "{message}");
}

#[test]
fn delegate_label_out_of_range_is_invalid() {
    let bytes = module_with_body(&[
        Instruction::Try(BlockType::Empty),
        Instruction::Delegate(1),
        Instruction::End,
    ]);
    let message = error_of(&bytes);
    assert_in_last_function(&bytes, &message, "invalid legacy exception handling");
    assert!(message.contains("unknown label"), "{message}");
}

#[test]
fn unknown_tag_in_catch_is_invalid() {
    let bytes = module_with_body(&[
        Instruction::Try(BlockType::Empty),
        Instruction::Catch(7),
        Instruction::End,
        Instruction::End,
    ]);
    let message = error_of(&bytes);
    assert_in_last_function(&bytes, &message, "invalid legacy exception handling");
}

#[test]
fn errors_outside_code_give_only_the_offset() {
    let bytes = wasm(
        r#"(module
          (func try catch_all end)
          (export "f" (func 0))
          (export "f" (func 0)))"#,
    );
    let message = error_of(&bytes);
    assert!(
        message.starts_with("invalid module at offset 0x"),
        "{message}"
    );
    assert!(message.contains("duplicate export"), "{message}");
}

#[test]
fn type_errors_elsewhere_name_their_function() {
    let bytes = module_with_body(&[
        Instruction::Try(BlockType::Empty),
        Instruction::I32Const(1),
        Instruction::CatchAll,
        Instruction::End,
        Instruction::End,
    ]);
    let message = error_of(&bytes);
    assert_in_last_function(&bytes, &message, "invalid legacy exception handling");
    assert!(message.contains("type mismatch"), "{message}");
}
