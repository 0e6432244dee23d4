//! The two control stacks of a body being rewritten: the frames of the
//! legacy input and those of the output, with the translation of label
//! immediates from one to the other.
//!
//! Output frames are numbered from 0 (the function itself) upwards, in the
//! order they were opened; each legacy frame records the output frame that
//! a branch to its label targets. A relative depth in the input is looked up
//! on the legacy stack and recomputed against the current output height, so
//! any number of frames added in between is accounted for.

use std::borrow::Cow;

use wasm_encoder::{Function, Instruction};
use wasmparser::{BrTable, Operator};

use super::error::RewriteError;

/// What a frame of the legacy body became in the output.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// The function's own frame.
    Function,
    /// `block`, `loop`, `if`, or a `try` without clauses.
    Plain,
    /// A `try` with catch clauses; `outer` and `table` are output frames.
    Catching {
        index: usize,
        outer: usize,
        table: usize,
        clauses_seen: usize,
    },
    /// A `try ... delegate`; `table` is its output `try_table`.
    Delegating { index: usize, table: usize },
    /// A `try_table` of the input.
    Table { index: usize, table: usize },
}

/// A frame of the legacy body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Legacy {
    /// The output frame that a branch to this frame's label targets.
    pub label: usize,
    pub kind: Kind,
}

/// The output function being written, and both stacks.
pub(crate) struct Frames {
    out: Function,
    /// Open output frames, the function's own included.
    height: usize,
    legacy: Vec<Legacy>,
}

impl Frames {
    /// Starts a body: only the function's frame is open, on both sides.
    pub fn new(out: Function) -> Self {
        Frames {
            out,
            height: 1,
            legacy: vec![Legacy {
                label: 0,
                kind: Kind::Function,
            }],
        }
    }

    /// The finished function; every frame must have been closed.
    pub fn finish(self) -> Result<Function, RewriteError> {
        if self.height != 0 || !self.legacy.is_empty() {
            return Err(RewriteError::internal("body ends inside a block"));
        }
        Ok(self.out)
    }

    pub fn emit(&mut self, instruction: &Instruction<'_>) {
        self.out.instruction(instruction);
    }

    /// Emits a block-opening instruction; returns the new frame's number.
    pub fn open(&mut self, instruction: &Instruction<'_>) -> Result<usize, RewriteError> {
        self.emit(instruction);
        let frame = self.height;
        self.height = frame
            .checked_add(1)
            .ok_or_else(|| RewriteError::internal("nesting overflow"))?;
        Ok(frame)
    }

    /// Emits `end` for the innermost output frame.
    pub fn close(&mut self) -> Result<(), RewriteError> {
        self.emit(&Instruction::End);
        self.height = self
            .height
            .checked_sub(1)
            .ok_or_else(|| RewriteError::internal("unbalanced end"))?;
        Ok(())
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn push(&mut self, frame: Legacy) {
        self.legacy.push(frame);
    }

    pub fn pop(&mut self) -> Option<Legacy> {
        self.legacy.pop()
    }

    pub fn top_mut(&mut self) -> Option<&mut Legacy> {
        self.legacy.last_mut()
    }

    /// The legacy frame that label `relative_depth` names.
    pub fn frame(&self, relative_depth: u32) -> Result<Legacy, RewriteError> {
        usize::try_from(relative_depth)
            .ok()
            .and_then(|depth| self.legacy.len().checked_sub(depth)?.checked_sub(1))
            .and_then(|position| self.legacy.get(position))
            .copied()
            .ok_or_else(|| RewriteError::internal("label out of range"))
    }

    /// The output depth of legacy label `relative_depth`.
    pub fn branch(&self, relative_depth: u32) -> Result<u32, RewriteError> {
        let frame = self.frame(relative_depth)?;
        self.depth_to(frame.label)
    }

    /// The relative depth of output frame `frame` from the innermost one.
    pub fn depth_to(&self, frame: usize) -> Result<u32, RewriteError> {
        self.height
            .checked_sub(1)
            .and_then(|top| top.checked_sub(frame))
            .and_then(|depth| u32::try_from(depth).ok())
            .ok_or_else(|| RewriteError::internal("branch to a closed frame"))
    }

    /// `br_table` with every target translated.
    pub fn br_table(&self, targets: &BrTable<'_>) -> Result<Instruction<'static>, RewriteError> {
        let default = self.branch(targets.default())?;
        let mut labels = Vec::new();
        for target in targets.targets() {
            let target = target.map_err(|_| RewriteError::internal("unreadable br_table"))?;
            labels.push(self.branch(target)?);
        }
        Ok(Instruction::BrTable(Cow::Owned(labels), default))
    }

    /// Translates the label immediates of the branching operators other
    /// than `br_table`, `rethrow` and `delegate`. A test checks that these
    /// are all the wasmparser operators with a label immediate.
    pub fn remap_labels<'a>(&self, mut op: Operator<'a>) -> Result<Operator<'a>, RewriteError> {
        match &mut op {
            Operator::Br { relative_depth }
            | Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth }
            | Operator::BrOnCast { relative_depth, .. }
            | Operator::BrOnCastFail { relative_depth, .. }
            | Operator::BrOnCastDescEq { relative_depth, .. }
            | Operator::BrOnCastDescEqFail { relative_depth, .. } => {
                *relative_depth = self.branch(*relative_depth)?;
            }
            // Catch labels are relative to the frames around the try_table.
            Operator::TryTable { try_table } => {
                for catch in &mut try_table.catches {
                    match catch {
                        wasmparser::Catch::One { label, .. }
                        | wasmparser::Catch::OneRef { label, .. }
                        | wasmparser::Catch::All { label }
                        | wasmparser::Catch::AllRef { label } => *label = self.branch(*label)?,
                    }
                }
            }
            Operator::Resume { resume_table, .. }
            | Operator::ResumeThrow { resume_table, .. }
            | Operator::ResumeThrowRef { resume_table, .. } => {
                for handle in &mut resume_table.handlers {
                    if let wasmparser::Handle::OnLabel { label, .. } = handle {
                        *label = self.branch(*label)?;
                    }
                }
            }
            _ => {}
        }
        Ok(op)
    }
}
