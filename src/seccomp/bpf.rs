//! Generates the classic BPF program of a policy.
//!
//! seccompiler's `SeccompFilter` takes one match action and one mismatch action for the whole
//! filter and kills the process on a foreign architecture, which cannot express per-syscall
//! errnos, ENOSYS for `clone3` or an errno for the 32-bit ABI. So this module lays out the
//! program itself and takes from seccompiler the code of argument comparisons
//! (`SeccompRule`), the action encodings and the instruction type.
//!
//! Layout:
//!
//! 1. Load the arch; a foreign one returns the foreign-ABI action.
//! 2. Load the syscall number. On x86_64 a number with the x32 bit returns the foreign-ABI
//!    action. A number above the table returns the unknown-syscall action.
//! 3. A binary search over ranges of numbers that share an action, ending in `RET` for
//!    syscalls without argument rules and in a rule chain for the others.
//!
//! Steps 1 to 3 use only loads of the arch and number, constant jumps and returns, which the
//! kernel's seccomp action cache can evaluate ahead of time (kernel/seccomp.c,
//! `seccomp_is_const_allow`, Linux 5.11 and later). So a syscall allowed without argument
//! rules costs no filter run at all; only syscalls with rules load an argument.

use seccompiler::{BpfProgram, SeccompRule, sock_filter};

use super::SeccompError;
use super::policy::{Action, Policy, SyscallPolicy};

// Instruction classes and fields of linux/bpf_common.h.
pub(crate) const BPF_LD: u16 = 0x00;
pub(crate) const BPF_JMP: u16 = 0x05;
pub(crate) const BPF_RET: u16 = 0x06;
pub(crate) const BPF_W: u16 = 0x00;
pub(crate) const BPF_ABS: u16 = 0x20;
pub(crate) const BPF_JA: u16 = 0x00;
pub(crate) const BPF_JEQ: u16 = 0x10;
pub(crate) const BPF_JGT: u16 = 0x20;
pub(crate) const BPF_JGE: u16 = 0x30;
pub(crate) const BPF_JSET: u16 = 0x40;
pub(crate) const BPF_K: u16 = 0x00;

/// Offsets in `struct seccomp_data` (linux/seccomp.h).
pub(crate) const SECCOMP_DATA_NR: u32 = 0;
pub(crate) const SECCOMP_DATA_ARCH: u32 = 4;

/// The kernel's limit on the length of a classic BPF program (BPF_MAXINSNS).
pub(crate) const MAX_INSTRUCTIONS: usize = 4096;

/// Bit 30 of the syscall number marks an x32 syscall on x86_64 (`__X32_SYSCALL_BIT`).
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The largest offset that a conditional jump can encode.
const MAX_SHORT_JUMP: usize = u8::MAX as usize;

/// Generates the program of `policy`.
pub(crate) fn generate(policy: &Policy) -> Result<BpfProgram, SeccompError> {
    let mut asm = Assembler::default();
    let ranges = ranges(policy);
    let search = emit_search(&mut asm, &ranges)?;

    // Back to front, so every jump goes to an instruction already placed.
    let unknown = asm.ret(policy.unknown);
    let max = policy.arch.max_syscall_number();
    let number_in_table = asm.jump_if(BPF_JGT, max, unknown, search);
    if policy.arch.has_x32_numbers() {
        let x32 = asm.ret(policy.foreign_abi);
        asm.jump_if(BPF_JSET, X32_SYSCALL_BIT, x32, number_in_table);
    }
    let load_number = asm.load(SECCOMP_DATA_NR);
    let foreign = asm.ret(policy.foreign_abi);
    asm.jump_if(BPF_JEQ, policy.arch.audit_arch(), load_number, foreign);
    asm.load(SECCOMP_DATA_ARCH);

    let program = asm.finish();
    if program.len() > MAX_INSTRUCTIONS {
        return Err(SeccompError::TooLarge {
            instructions: program.len(),
        });
    }
    Ok(program)
}

/// Numbers from `start` up to the next range's start that share one outcome.
#[derive(Debug, PartialEq)]
struct Range<'a> {
    start: u32,
    outcome: Outcome<'a>,
}

#[derive(Debug, PartialEq)]
enum Outcome<'a> {
    /// A `RET` of this value (SECCOMP_RET_*).
    Return(u32),
    Rules(&'a SyscallPolicy),
}

/// Splits the numbers 0 to the table's maximum into ranges with one outcome each, merging
/// neighbours with the same action so the search stays short.
fn ranges(policy: &Policy) -> Vec<Range<'_>> {
    let mut ranges: Vec<Range<'_>> = Vec::new();
    let unknown = policy.unknown.return_value();
    for number in 0..=policy.arch.max_syscall_number() {
        // Compared as return values, which is what the program distinguishes, and cheaper
        // than comparing actions, whose errnos carry their names.
        let outcome = match policy.syscalls.get(number) {
            Some(syscall) if !syscall.rules.is_empty() => Outcome::Rules(syscall),
            Some(syscall) => Outcome::Return(syscall.action.return_value()),
            None => Outcome::Return(unknown),
        };
        let same_as_last = match (ranges.last().map(|range| &range.outcome), &outcome) {
            (Some(Outcome::Return(last)), Outcome::Return(action)) => last == action,
            _ => false,
        };
        if !same_as_last {
            ranges.push(Range {
                start: number,
                outcome,
            });
        }
    }
    ranges
}

/// Emits a binary search over `ranges` (of numbers already known to be in the table) and
/// returns its first instruction.
fn emit_search(asm: &mut Assembler, ranges: &[Range<'_>]) -> Result<Label, SeccompError> {
    if let [range] = ranges {
        return emit_outcome(asm, &range.outcome);
    }
    let middle = ranges.len() / 2;
    let upper = emit_search(asm, &ranges[middle..])?;
    let lower = emit_search(asm, &ranges[..middle])?;
    Ok(asm.jump_if(BPF_JGE, ranges[middle].start, upper, lower))
}

fn emit_outcome(asm: &mut Assembler, outcome: &Outcome<'_>) -> Result<Label, SeccompError> {
    match outcome {
        Outcome::Return(value) => Ok(asm.ret_value(*value)),
        Outcome::Rules(syscall) => emit_rule_chain(asm, syscall),
    }
}

/// Emits the rules of one syscall in order, each followed by its `RET`, then the `RET` of the
/// syscall's own action.
///
/// seccompiler compiles a rule into a block that falls through when all its conditions hold
/// and otherwise jumps to the second instruction after the block, which skips the rule's
/// `RET` and lands on the next rule. The tests run these chains through an interpreter.
fn emit_rule_chain(asm: &mut Assembler, syscall: &SyscallPolicy) -> Result<Label, SeccompError> {
    let mut first = asm.ret(syscall.action);
    for rule in syscall.rules.iter().rev() {
        let conditions = rule
            .conditions
            .iter()
            .map(|condition| condition.to_seccompiler())
            .collect::<Result<Vec<_>, _>>()
            .and_then(SeccompRule::new)
            .map_err(|source| SeccompError::Rule {
                syscall: syscall.name,
                message: source.to_string(),
            })?;
        asm.ret(rule.action);
        let block: BpfProgram = conditions.into();
        for instruction in block.into_iter().rev() {
            first = asm.push(instruction);
        }
    }
    Ok(first)
}

/// An instruction's position counted from the end of the program: the last instruction is 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Label(usize);

/// Builds a program back to front. Classic BPF jumps only forward, so placing the end first
/// means every jump target is known when its jump is placed.
#[derive(Default)]
struct Assembler {
    reversed: Vec<sock_filter>,
}

impl Assembler {
    /// Places `instruction` before everything placed so far.
    fn push(&mut self, instruction: sock_filter) -> Label {
        self.reversed.push(instruction);
        Label(self.reversed.len())
    }

    /// Returns the offset that a jump placed next needs to reach `target`.
    fn offset_to(&self, target: Label) -> usize {
        self.reversed.len() - target.0
    }

    fn load(&mut self, offset: u32) -> Label {
        self.push(statement(BPF_LD | BPF_W | BPF_ABS, offset))
    }

    fn ret(&mut self, action: Action) -> Label {
        self.ret_value(action.return_value())
    }

    fn ret_value(&mut self, value: u32) -> Label {
        self.push(statement(BPF_RET | BPF_K, value))
    }

    fn jump_always(&mut self, target: Label) -> Label {
        let offset = self.offset_to(target) as u32;
        self.push(statement(BPF_JMP | BPF_JA, offset))
    }

    /// Places a conditional jump, with `JA` trampolines for targets beyond the 255
    /// instructions that its 8-bit offsets reach.
    fn jump_if(&mut self, op: u16, k: u32, if_true: Label, if_false: Label) -> Label {
        let mut if_true = if_true;
        let mut if_false = if_false;
        if self.offset_to(if_false) > MAX_SHORT_JUMP {
            if_false = self.jump_always(if_false);
        }
        if self.offset_to(if_true) > MAX_SHORT_JUMP {
            if_true = self.jump_always(if_true);
        }
        // The trampoline for `if_true` may have pushed `if_false` out of reach.
        if self.offset_to(if_false) > MAX_SHORT_JUMP {
            if_false = self.jump_always(if_false);
        }
        let instruction = sock_filter {
            code: BPF_JMP | op | BPF_K,
            jt: short_offset(self.offset_to(if_true)),
            jf: short_offset(self.offset_to(if_false)),
            k,
        };
        self.push(instruction)
    }

    fn finish(mut self) -> BpfProgram {
        self.reversed.reverse();
        self.reversed
    }
}

fn short_offset(offset: usize) -> u8 {
    u8::try_from(offset).expect("jump_if keeps conditional offsets within 255")
}

fn statement(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}
