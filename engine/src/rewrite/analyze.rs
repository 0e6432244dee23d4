//! First pass over a function body: what each legacy `try` turns into.
//!
//! Collects, for every `try` in order of appearance, its catch clauses or the
//! handler its `delegate` forwards to, the handler nesting level it sits at
//! (which names the local that keeps its caught exception for `rethrow`), and
//! which `try` bodies (or the function itself) receive delegated exceptions.
//! The second pass (`emit`) needs all of this before it opens a `try`.
//!
//! A standard `try_table` already in the body catches too: it is numbered
//! with the `try`s, so that an exception delegated into it (or into a block
//! inside it) meets its catch clauses, as the legacy semantics say.

use wasmparser::{FunctionBody, Operator};

use super::error::RewriteError;

/// One catch clause of a legacy `try`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clause {
    /// `catch $tag`.
    Tag(u32),
    /// `catch_all`.
    All,
}

/// Where a `delegate` sends the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Into the body of this `try` or `try_table` (an index into
    /// `Plan::tries`), as if thrown there: its catch clauses or its own
    /// `delegate` handle it.
    Try(usize),
    /// Out of the function, to the caller.
    Function,
}

/// What the rewriter does with one legacy `try` (or standard `try_table`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TryPlan {
    /// The catch clauses in order; empty for `try ... delegate` and for a
    /// `try` without clauses.
    pub catches: Vec<Clause>,
    /// Set for `try ... delegate`.
    pub delegate: Option<Target>,
    /// How many handlers (catch bodies) enclose this `try`.
    pub level: u32,
    /// Whether some `delegate` forwards exceptions into this body.
    pub is_target: bool,
    /// Set for a standard `try_table` of the input.
    pub table: bool,
    /// The nearest `try` whose body encloses this one (the `try` that would
    /// catch an exception thrown right next to it).
    enclosing_catcher: Option<usize>,
}

/// The result of the first pass over one function body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub tries: Vec<TryPlan>,
    /// Whether some `delegate` forwards exceptions out of the function.
    pub function_is_target: bool,
    /// How many `exnref` locals the handlers need: one per nesting level.
    pub exn_locals: u32,
}

/// A control frame of the legacy body during the first pass.
struct Frame {
    /// The `try` this frame is, if it is one.
    try_index: Option<usize>,
    /// Whether that `try` is in a catch clause (no longer catches).
    in_handler: bool,
    /// `catcher()` of the enclosing frame when this one was opened.
    outer_catcher: Option<usize>,
}

impl Frame {
    /// The `try` (or `try_table`) that catches what is thrown directly
    /// inside this frame.
    fn catcher(&self) -> Option<usize> {
        match self.try_index {
            Some(index) if !self.in_handler => Some(index),
            _ => self.outer_catcher,
        }
    }
}

/// Runs the first pass over a body that has already been validated.
pub(crate) fn analyze(body: &FunctionBody<'_>) -> Result<Plan, RewriteError> {
    let mut pass = Analysis::default();
    let mut reader = body
        .get_operators_reader()
        .map_err(|_| RewriteError::internal("unreadable body"))?;
    pass.frames.push(Frame {
        try_index: None,
        in_handler: false,
        outer_catcher: None,
    });
    while !reader.eof() {
        let op = reader
            .read()
            .map_err(|_| RewriteError::internal("unreadable operator"))?;
        pass.visit(&op)?;
    }
    if !pass.frames.is_empty() {
        return Err(RewriteError::internal("body ends inside a block"));
    }
    pass.resolve_delegates()?;
    Ok(pass.plan)
}

#[derive(Default)]
struct Analysis {
    plan: Plan,
    frames: Vec<Frame>,
    /// Catch bodies currently open.
    open_handlers: u32,
}

impl Analysis {
    fn visit(&mut self, op: &Operator<'_>) -> Result<(), RewriteError> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => self.push(None),
            Operator::Try { .. } => self.push_try(false)?,
            Operator::TryTable { .. } => self.push_try(true)?,
            Operator::Catch { tag_index } => self.add_clause(Clause::Tag(*tag_index))?,
            Operator::CatchAll => self.add_clause(Clause::All)?,
            Operator::Delegate { relative_depth } => self.delegate(*relative_depth)?,
            Operator::End => self.end()?,
            _ => {}
        }
        Ok(())
    }

    fn push(&mut self, try_index: Option<usize>) {
        let outer_catcher = self.frames.last().and_then(Frame::catcher);
        self.frames.push(Frame {
            try_index,
            in_handler: false,
            outer_catcher,
        });
    }

    fn push_try(&mut self, table: bool) -> Result<(), RewriteError> {
        let index = self.plan.tries.len();
        self.plan.tries.push(TryPlan {
            level: self.open_handlers,
            enclosing_catcher: self.top()?.catcher(),
            table,
            ..TryPlan::default()
        });
        self.push(Some(index));
        Ok(())
    }

    fn top(&self) -> Result<&Frame, RewriteError> {
        self.frames
            .last()
            .ok_or_else(|| RewriteError::internal("operator after the end of the body"))
    }

    fn add_clause(&mut self, clause: Clause) -> Result<(), RewriteError> {
        let frame = self
            .frames
            .last_mut()
            .ok_or_else(|| RewriteError::internal("catch outside a block"))?;
        let index = frame
            .try_index
            .ok_or_else(|| RewriteError::internal("catch outside try"))?;
        if !frame.in_handler {
            frame.in_handler = true;
            self.open_handlers = self
                .open_handlers
                .checked_add(1)
                .ok_or_else(|| RewriteError::internal("handler nesting overflow"))?;
            let needed = self.open_handlers;
            self.plan.exn_locals = self.plan.exn_locals.max(needed);
        }
        self.try_plan(index)?.catches.push(clause);
        Ok(())
    }

    /// `delegate N`: N counts the frames enclosing the `try`, like a branch
    /// placed right after it. The exception goes to whichever `try` catches
    /// at that label (see `Frame::catcher`); `resolve_delegates` later skips
    /// the ones that turn out to have no clauses.
    fn delegate(&mut self, relative_depth: u32) -> Result<(), RewriteError> {
        let frame = self
            .frames
            .pop()
            .ok_or_else(|| RewriteError::internal("delegate outside a block"))?;
        let index = frame
            .try_index
            .ok_or_else(|| RewriteError::internal("delegate outside try"))?;
        let label = usize::try_from(relative_depth)
            .ok()
            .and_then(|depth| self.frames.len().checked_sub(depth)?.checked_sub(1))
            .and_then(|position| self.frames.get(position))
            .ok_or_else(|| RewriteError::internal("delegate label out of range"))?;
        let target = match label.catcher() {
            Some(catcher) => Target::Try(catcher),
            None => Target::Function,
        };
        self.try_plan(index)?.delegate = Some(target);
        Ok(())
    }

    fn end(&mut self) -> Result<(), RewriteError> {
        let frame = self
            .frames
            .pop()
            .ok_or_else(|| RewriteError::internal("unbalanced end"))?;
        if frame.in_handler {
            self.open_handlers = self
                .open_handlers
                .checked_sub(1)
                .ok_or_else(|| RewriteError::internal("handler nesting underflow"))?;
        }
        Ok(())
    }

    fn try_plan(&mut self, index: usize) -> Result<&mut TryPlan, RewriteError> {
        self.plan
            .tries
            .get_mut(index)
            .ok_or_else(|| RewriteError::internal("unknown try"))
    }

    /// Replaces each provisional delegate target with the `try` that really
    /// handles the exception: a `try` without clauses catches nothing, so
    /// the exception travels on to whatever catches around it.
    fn resolve_delegates(&mut self) -> Result<(), RewriteError> {
        let tries = &mut self.plan.tries;
        // `handler[i]`: where an exception thrown in the body of try `i` goes.
        // An enclosing try always has a smaller index, so it is known already.
        let mut handler: Vec<Target> = Vec::with_capacity(tries.len());
        for (index, plan) in tries.iter().enumerate() {
            let catches = !plan.catches.is_empty() || plan.delegate.is_some() || plan.table;
            handler.push(match (catches, plan.enclosing_catcher) {
                (true, _) => Target::Try(index),
                (false, None) => Target::Function,
                (false, Some(outer)) if outer < index => *handler
                    .get(outer)
                    .ok_or_else(|| RewriteError::internal("unknown enclosing try"))?,
                (false, Some(_)) => return Err(RewriteError::internal("try encloses itself")),
            });
        }
        for index in 0..tries.len() {
            let resolved = match tries.get(index).and_then(|plan| plan.delegate) {
                None => continue,
                Some(Target::Function) => Target::Function,
                Some(Target::Try(catcher)) => *handler
                    .get(catcher)
                    .ok_or_else(|| RewriteError::internal("unknown delegate target"))?,
            };
            match resolved {
                Target::Function => self.plan.function_is_target = true,
                Target::Try(target) => {
                    let plan = tries
                        .get_mut(target)
                        .ok_or_else(|| RewriteError::internal("unknown delegate target"))?;
                    plan.is_target = true;
                }
            }
            if let Some(plan) = tries.get_mut(index) {
                plan.delegate = Some(resolved);
            }
        }
        Ok(())
    }
}
