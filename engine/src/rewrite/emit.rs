//! Second pass over a function body: writes the standard form.
//!
//! A legacy `try bt` with catch clauses `c_0 .. c_{n-1}` becomes
//!
//! ```text
//! block $outer bt                         ;; the try's label, body and handlers
//!   block $c_{n-1} (P -> [params(c_{n-1}) exnref])
//!     ...
//!       block $c_0 (P -> [params(c_0) exnref])
//!         try_table bt (catch_ref tag_0 $c_0) ... (catch_all_ref $c_k)
//!           body
//!         end
//!         br $outer
//!       end
//!       local.set $exn_L                  ;; L: the try's handler nesting level
//!       handler_0
//!       br $outer
//!     ...
//!   end
//!   local.set $exn_L
//!   handler_{n-1}                         ;; falls through to the end of $outer
//! end
//! ```
//!
//! where P are the parameters of `bt`; `rethrow` becomes
//! `local.get $exn_L; throw_ref`. `try bt ... delegate` becomes
//! `try_table bt (catch_all_ref $d) ... end`, where `$d` is a block of type
//! `P -> [exnref]` that wraps the body of the `try` receiving the exception
//! (inside its `try_table`) and is followed by `throw_ref`, so the exception
//! is thrown again right where that `try`'s handlers catch it. For a
//! delegate to the caller, `$d` wraps the whole function body instead. A
//! `try` without clauses is a plain `block`. A `try_table` of the input that
//! receives delegated exceptions gets a `$d` block the same way.
//!
//! Every legacy frame maps to one output frame; branch depths are translated
//! through the two explicit stacks of `labels::Frames`, never by a fixed
//! offset.

use std::borrow::Cow;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Catch, Function, Instruction, ValType};
use wasmparser::Operator;

use super::analyze::{analyze, Clause, Plan, Target, TryPlan};
use super::error::RewriteError;
use super::labels::{Frames, Kind, Legacy};
use super::module_info::ModuleInfo;
use super::types::{convert, TypeInterner};

/// Rewrites the `body`-th entry of the code section.
pub(crate) fn translate(
    info: &ModuleInfo<'_>,
    types: &mut TypeInterner,
    body: usize,
) -> Result<Function, RewriteError> {
    let entry = &info
        .bodies
        .get(body)
        .ok_or_else(|| RewriteError::internal("unknown function body"))?
        .body;
    let plan = analyze(entry)?;
    let (mut locals, declared) = read_locals(entry)?;
    let first_exn_local = u32::try_from(info.param_count(body)?)
        .ok()
        .and_then(|params| params.checked_add(declared))
        .ok_or_else(|| RewriteError::new("too many locals to add exception locals"))?;
    if plan.exn_locals > 0 {
        locals.push((plan.exn_locals, ValType::EXNREF));
    }
    let mut emitter = Emitter::new(info, types, &plan, Function::new(locals), first_exn_local);
    emitter.start()?;
    let mut reader = entry
        .get_operators_reader()
        .map_err(|_| RewriteError::internal("unreadable body"))?;
    while !reader.eof() {
        let op = reader
            .read()
            .map_err(|_| RewriteError::internal("unreadable operator"))?;
        emitter.visit(op)?;
    }
    emitter.finish()
}

/// The body's local declarations, re-encoded, and how many locals they declare.
fn read_locals(
    body: &wasmparser::FunctionBody<'_>,
) -> Result<(Vec<(u32, ValType)>, u32), RewriteError> {
    let mut locals = Vec::new();
    let mut total: u32 = 0;
    let reader = body
        .get_locals_reader()
        .map_err(|_| RewriteError::internal("unreadable locals"))?;
    for entry in reader {
        let (count, ty) = entry.map_err(|_| RewriteError::internal("unreadable locals"))?;
        total = total
            .checked_add(count)
            .ok_or_else(|| RewriteError::new("too many locals"))?;
        locals.push((count, RoundtripReencoder.val_type(ty)?));
    }
    Ok((locals, total))
}

/// The state of the second pass over one body.
struct Emitter<'e, 'a> {
    info: &'e ModuleInfo<'a>,
    types: &'e mut TypeInterner,
    plan: &'e Plan,
    frames: Frames,
    /// The number of the next `try` or `try_table`, as in `Plan::tries`.
    next_try: usize,
    /// For each try that receives delegated exceptions, its `$d` block
    /// while that block is open.
    delegate_blocks: Vec<Option<usize>>,
    /// The function-wide `$d` block, when something delegates to the caller.
    function_delegate_block: Option<usize>,
    /// The local for handler level 0; level L uses the L-th one after it.
    first_exn_local: u32,
}

impl<'e, 'a> Emitter<'e, 'a> {
    fn new(
        info: &'e ModuleInfo<'a>,
        types: &'e mut TypeInterner,
        plan: &'e Plan,
        out: Function,
        first_exn_local: u32,
    ) -> Self {
        Emitter {
            info,
            types,
            plan,
            frames: Frames::new(out),
            next_try: 0,
            delegate_blocks: vec![None; plan.tries.len()],
            function_delegate_block: None,
            first_exn_local,
        }
    }

    fn start(&mut self) -> Result<(), RewriteError> {
        if self.plan.function_is_target {
            let block = self
                .frames
                .open(&Instruction::Block(BlockType::Result(ValType::EXNREF)))?;
            self.function_delegate_block = Some(block);
        }
        Ok(())
    }

    fn finish(self) -> Result<Function, RewriteError> {
        self.frames.finish()
    }

    fn visit(&mut self, op: Operator<'a>) -> Result<(), RewriteError> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.open_plain(op)
            }
            Operator::TryTable { .. } => self.open_table(op),
            Operator::Try { blockty } => self.open_try(blockty),
            Operator::Catch { .. } | Operator::CatchAll => self.next_clause(),
            Operator::Delegate { .. } => self.delegate(),
            Operator::End => self.end(),
            Operator::Rethrow { relative_depth } => self.rethrow(relative_depth),
            Operator::BrTable { targets } => {
                let instruction = self.frames.br_table(&targets)?;
                self.frames.emit(&instruction);
                Ok(())
            }
            other => {
                let other = self.frames.remap_labels(other)?;
                let instruction = RoundtripReencoder.instruction(other)?;
                self.frames.emit(&instruction);
                Ok(())
            }
        }
    }

    /// Emits a `block`, `loop` or `if` and opens its frame.
    fn open_plain(&mut self, op: Operator<'a>) -> Result<(), RewriteError> {
        let instruction = RoundtripReencoder.instruction(op)?;
        let label = self.frames.open(&instruction)?;
        self.frames.push(Legacy {
            label,
            kind: Kind::Plain,
        });
        Ok(())
    }

    /// Numbers the next `try` or `try_table`; returns it and its plan.
    fn next_plan(&mut self) -> Result<(usize, &'e TryPlan), RewriteError> {
        let plans: &'e Plan = self.plan;
        let index = self.next_try;
        let plan = plans
            .tries
            .get(index)
            .ok_or_else(|| RewriteError::internal("try missing from the plan"))?;
        self.next_try = index
            .checked_add(1)
            .ok_or_else(|| RewriteError::internal("too many tries"))?;
        Ok((index, plan))
    }

    /// A `try_table` of the input: labels translated, and a `$d` block
    /// inside when exceptions are delegated into it.
    fn open_table(&mut self, op: Operator<'a>) -> Result<(), RewriteError> {
        let (index, plan) = self.next_plan()?;
        let blockty = match &op {
            Operator::TryTable { try_table } => try_table.ty,
            _ => return Err(RewriteError::internal("not a try_table")),
        };
        let params = self.block_params(blockty)?;
        let op = self.frames.remap_labels(op)?;
        let table = self.frames.open(&RoundtripReencoder.instruction(op)?)?;
        if plan.is_target {
            self.open_delegate_block(index, &params)?;
        }
        self.frames.push(Legacy {
            label: table,
            kind: Kind::Table { index, table },
        });
        Ok(())
    }

    fn open_try(&mut self, blockty: wasmparser::BlockType) -> Result<(), RewriteError> {
        let (index, plan) = self.next_plan()?;
        let params = self.block_params(blockty)?;
        let bt = RoundtripReencoder.block_type(blockty)?;
        if !plan.catches.is_empty() {
            self.open_catching(index, plan, &params, bt)
        } else if let Some(target) = plan.delegate {
            self.open_delegating(index, plan, target, &params, bt)
        } else {
            let label = self.frames.open(&Instruction::Block(bt))?;
            self.frames.push(Legacy {
                label,
                kind: Kind::Plain,
            });
            Ok(())
        }
    }

    fn open_catching(
        &mut self,
        index: usize,
        plan: &TryPlan,
        params: &[wasmparser::ValType],
        bt: BlockType,
    ) -> Result<(), RewriteError> {
        let outer = self.frames.open(&Instruction::Block(bt))?;
        for clause in plan.catches.iter().rev() {
            let mut results = match clause {
                Clause::Tag(tag) => convert(self.info.tag_params(*tag)?)?,
                Clause::All => Vec::new(),
            };
            results.push(ValType::EXNREF);
            let ty = self.types.block_type(params, &results)?;
            self.frames.open(&Instruction::Block(ty))?;
        }
        // Clause i jumps to the block opened n - i frames above $outer.
        let count = plan.catches.len();
        let mut catches = Vec::with_capacity(count);
        for (position, clause) in plan.catches.iter().enumerate() {
            let frame = count
                .checked_sub(position)
                .and_then(|above| outer.checked_add(above))
                .ok_or_else(|| RewriteError::internal("catch block index"))?;
            let label = self.frames.depth_to(frame)?;
            catches.push(match clause {
                Clause::Tag(tag) => Catch::OneRef { tag: *tag, label },
                Clause::All => Catch::AllRef { label },
            });
        }
        let table = self
            .frames
            .open(&Instruction::TryTable(bt, Cow::Owned(catches)))?;
        if plan.is_target {
            self.open_delegate_block(index, params)?;
        }
        self.frames.push(Legacy {
            label: outer,
            kind: Kind::Catching {
                index,
                outer,
                table,
                clauses_seen: 0,
            },
        });
        Ok(())
    }

    fn open_delegating(
        &mut self,
        index: usize,
        plan: &TryPlan,
        target: Target,
        params: &[wasmparser::ValType],
        bt: BlockType,
    ) -> Result<(), RewriteError> {
        let block = match target {
            Target::Function => self.function_delegate_block,
            Target::Try(target) => self.delegate_blocks.get(target).copied().flatten(),
        }
        .ok_or_else(|| RewriteError::internal("delegate target is not open"))?;
        let label = self.frames.depth_to(block)?;
        let catches = Cow::Owned(vec![Catch::AllRef { label }]);
        let table = self.frames.open(&Instruction::TryTable(bt, catches))?;
        if plan.is_target {
            self.open_delegate_block(index, params)?;
        }
        self.frames.push(Legacy {
            label: table,
            kind: Kind::Delegating { index, table },
        });
        Ok(())
    }

    /// Opens the `$d` block through which exceptions are delegated into the
    /// body of try `index`.
    fn open_delegate_block(
        &mut self,
        index: usize,
        params: &[wasmparser::ValType],
    ) -> Result<(), RewriteError> {
        let ty = self.types.block_type(params, &[ValType::EXNREF])?;
        let block = self.frames.open(&Instruction::Block(ty))?;
        let slot = self
            .delegate_blocks
            .get_mut(index)
            .ok_or_else(|| RewriteError::internal("unknown try"))?;
        *slot = Some(block);
        Ok(())
    }

    /// Ends the body of try `index`: closes its `$d` block (re-throwing what
    /// was delegated into it) and its `try_table`.
    fn close_body(&mut self, index: usize, table: usize) -> Result<(), RewriteError> {
        let slot = self
            .delegate_blocks
            .get_mut(index)
            .ok_or_else(|| RewriteError::internal("unknown try"))?;
        if slot.take().is_some() {
            let label = self.frames.depth_to(table)?;
            self.frames.emit(&Instruction::Br(label));
            self.frames.close()?;
            self.frames.emit(&Instruction::ThrowRef);
        }
        self.frames.close()
    }

    /// `catch` or `catch_all`: ends the body or the previous handler and
    /// starts the next handler with the caught exception in its local.
    fn next_clause(&mut self) -> Result<(), RewriteError> {
        let frame = self
            .frames
            .top_mut()
            .ok_or_else(|| RewriteError::internal("catch outside a block"))?;
        let Kind::Catching {
            index,
            outer,
            table,
            clauses_seen,
        } = &mut frame.kind
        else {
            return Err(RewriteError::internal("catch outside a try with clauses"));
        };
        let (index, outer, table, first) = (*index, *outer, *table, *clauses_seen == 0);
        *clauses_seen = clauses_seen
            .checked_add(1)
            .ok_or_else(|| RewriteError::internal("too many clauses"))?;
        if first {
            self.close_body(index, table)?;
        }
        let label = self.frames.depth_to(outer)?;
        self.frames.emit(&Instruction::Br(label));
        self.frames.close()?;
        let local = self.exn_local(index)?;
        self.frames.emit(&Instruction::LocalSet(local));
        Ok(())
    }

    fn delegate(&mut self) -> Result<(), RewriteError> {
        match self.frames.pop().map(|frame| frame.kind) {
            Some(Kind::Delegating { index, table }) => self.close_body(index, table),
            _ => Err(RewriteError::internal("delegate outside try")),
        }
    }

    fn end(&mut self) -> Result<(), RewriteError> {
        let frame = self
            .frames
            .pop()
            .ok_or_else(|| RewriteError::internal("unbalanced end"))?;
        match frame.kind {
            Kind::Plain => self.frames.close(),
            Kind::Table { index, table } => self.close_body(index, table),
            Kind::Catching { outer, .. } if outer.checked_add(1) == Some(self.frames.height()) => {
                self.frames.close()
            }
            Kind::Catching { .. } => Err(RewriteError::internal("try ends with clauses open")),
            Kind::Delegating { .. } => Err(RewriteError::internal("try-delegate ends with end")),
            Kind::Function => {
                if self.function_delegate_block.take().is_some() {
                    self.frames.emit(&Instruction::Return);
                    self.frames.close()?;
                    self.frames.emit(&Instruction::ThrowRef);
                }
                self.frames.close()
            }
        }
    }

    /// `rethrow N`: label N is a try in one of its handlers.
    fn rethrow(&mut self, relative_depth: u32) -> Result<(), RewriteError> {
        match self.frames.frame(relative_depth)?.kind {
            Kind::Catching {
                index,
                clauses_seen,
                ..
            } if clauses_seen > 0 => {
                let local = self.exn_local(index)?;
                self.frames.emit(&Instruction::LocalGet(local));
                self.frames.emit(&Instruction::ThrowRef);
                Ok(())
            }
            _ => Err(RewriteError::internal("rethrow label is not a handler")),
        }
    }

    /// The local holding the exception caught by try `index`.
    fn exn_local(&self, index: usize) -> Result<u32, RewriteError> {
        let plan = self
            .plan
            .tries
            .get(index)
            .ok_or_else(|| RewriteError::internal("unknown try"))?;
        self.first_exn_local
            .checked_add(plan.level)
            .ok_or_else(|| RewriteError::new("too many locals to add exception locals"))
    }

    /// The parameter types of a block type.
    fn block_params(
        &self,
        blockty: wasmparser::BlockType,
    ) -> Result<Vec<wasmparser::ValType>, RewriteError> {
        match blockty {
            wasmparser::BlockType::Empty | wasmparser::BlockType::Type(_) => Ok(Vec::new()),
            wasmparser::BlockType::FuncType(index) => {
                Ok(self.info.signature(index)?.params.clone())
            }
        }
    }
}
