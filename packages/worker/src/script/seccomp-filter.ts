// The seccomp filter a script's sandbox runs under (bwrap --seccomp FD): no new processes. Threads
// are allowed (Blender and Python need them; the memory limit bounds how many fit), fork, vfork and
// clone without CLONE_THREAD fail with EAGAIN, and clone3, whose flags a filter cannot read, fails
// with ENOSYS so the C library falls back to clone. RLIMIT_NPROC bounds processes too, but Linux
// never applies it to a real uid 0 (a worker run as root), which this filter does not depend on.
// Written as classic BPF (struct sock_filter, 8 bytes per instruction) for x86-64 and AArch64;
// a call made through any other architecture's entry (such as int 0x80 on x86-64) fails with EPERM.

/** The filter program, as bwrap reads it from a file descriptor. */
export function noNewProcessesFilter(): Buffer {
  const program = new BpfProgram();
  // seccomp_data: int nr @0, u32 arch @4, u64 instruction_pointer @8, u64 args[6] @16.
  program.load(4);
  program.jumpIfEqual(AUDIT_ARCH_X86_64, "x86_64", undefined);
  program.jumpIfEqual(AUDIT_ARCH_AARCH64, "aarch64", undefined);
  program.returnValue(SECCOMP_RET_ERRNO | EPERM);

  program.label("x86_64");
  program.load(0);
  // The x32 ABI's numbers have bit 30 set; nothing here uses it.
  program.jumpIfGreaterOrEqual(X32_SYSCALL_BIT, "deny", undefined);
  program.jumpIfEqual(X86_64.fork, "deny", undefined);
  program.jumpIfEqual(X86_64.vfork, "deny", undefined);
  program.jumpIfEqual(CLONE3, "nosys", undefined);
  program.jumpIfEqual(X86_64.clone, "clone", "allow");

  program.label("aarch64");
  program.load(0);
  program.jumpIfEqual(CLONE3, "nosys", undefined);
  program.jumpIfEqual(AARCH64.clone, "clone", "allow");

  program.label("clone");
  // The low 32 bits of clone's first argument, its flags (little-endian on both architectures).
  program.load(16);
  program.jumpIfAnyBit(CLONE_THREAD, "allow", "deny");

  program.label("allow");
  program.returnValue(SECCOMP_RET_ALLOW);
  program.label("deny");
  program.returnValue(SECCOMP_RET_ERRNO | EAGAIN);
  program.label("nosys");
  program.returnValue(SECCOMP_RET_ERRNO | ENOSYS);
  return program.assemble();
}

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X32_SYSCALL_BIT = 0x40000000;
const X86_64 = { clone: 56, fork: 57, vfork: 58 } as const;
const AARCH64 = { clone: 220 } as const;
const CLONE3 = 435;
const CLONE_THREAD = 0x00010000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const EAGAIN = 11;
const ENOSYS = 38;

// Opcodes: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_JMP|BPF_JGE|BPF_K, BPF_JMP|BPF_JSET|BPF_K, BPF_RET|BPF_K.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

type Target = string | undefined;
interface Instruction {
  code: number;
  k: number;
  /** Where a conditional jump goes when true and when false; undefined is the next instruction. */
  whenTrue?: Target;
  whenFalse?: Target;
}

/** A classic BPF program with named jump targets, resolved to relative offsets on assembly. */
class BpfProgram {
  private readonly instructions: Instruction[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    this.labels.set(name, this.instructions.length);
  }

  load(offset: number): void {
    this.instructions.push({ code: LD_W_ABS, k: offset });
  }

  jumpIfEqual(value: number, whenTrue: Target, whenFalse: Target): void {
    this.instructions.push({ code: JEQ_K, k: value, whenTrue, whenFalse });
  }

  jumpIfGreaterOrEqual(value: number, whenTrue: Target, whenFalse: Target): void {
    this.instructions.push({ code: JGE_K, k: value, whenTrue, whenFalse });
  }

  jumpIfAnyBit(bits: number, whenTrue: Target, whenFalse: Target): void {
    this.instructions.push({ code: JSET_K, k: bits, whenTrue, whenFalse });
  }

  returnValue(value: number): void {
    this.instructions.push({ code: RET_K, k: value });
  }

  assemble(): Buffer {
    const buffer = Buffer.alloc(this.instructions.length * 8);
    this.instructions.forEach((instruction, index) => {
      const offset = (target: Target): number => {
        if (target === undefined) return 0;
        const destination = this.labels.get(target);
        if (destination === undefined) throw new Error(`BPF label ${target} is not defined`);
        const skip = destination - index - 1;
        // Classic BPF jumps only forwards, at most 255 instructions.
        if (skip < 0 || skip > 255) throw new Error(`BPF jump to ${target} is out of range`);
        return skip;
      };
      buffer.writeUInt16LE(instruction.code, index * 8);
      buffer.writeUInt8(offset(instruction.whenTrue), index * 8 + 2);
      buffer.writeUInt8(offset(instruction.whenFalse), index * 8 + 3);
      buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
    });
    return buffer;
  }
}
