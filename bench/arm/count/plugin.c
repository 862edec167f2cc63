/* The instruction counter of bench/arm/count.sh: a qemu-user TCG plugin (plugin API of qemu 7.2, Debian 12's) that
 * counts the guest instructions a program executes, per guest thread (vCPU): when a translation block runs, its
 * instruction count is added to its thread's counter. A guest marks points of interest with the syscall MARK (0x5050,
 * which Linux does not have: qemu answers ENOSYS after the plugin saw it):
 *   syscall(0x5050, id)   ->   "mark <id> <instructions of the marking thread so far>"
 * so that a region counts the work of the thread that runs it, not helper threads spinning beside it (an OpenMP
 * runtime's, say). At exit: "total <instructions of all threads>". Output: the file named by outfile=PATH.
 * With blocks=PATH it also counts, per translation block, how often it ran while armed (mark id START, default 10000:
 * the first layer mark of a -DPPMS_ICOUNT_MARKS=ON build, arms; id STOP, default 1, disarms), and writes at exit
 * "tb <guest address, hex> <instructions> <executions>" per block that ran armed: where the instructions go, by
 * function. Options start=ID, stop=ID. Build: bench/arm/count/build.sh. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK 0x5050
#define THREADS 1024 /* guest threads counted apart; any beyond share the last counter */

typedef struct {
  uint64_t vaddr, insns, execs;
} Block;

static struct {
  uint64_t n;
  char pad[56]; /* a cache line each: threads on different host cores do not share one */
} executed[THREADS];
static FILE *out, *blocks_out;
static Block **blocks;
static size_t count, capacity;
static int armed;
static int64_t start_id = 10000, stop_id = 1;

static void on_block(unsigned int vcpu, void *insns) {
  executed[vcpu < THREADS ? vcpu : THREADS - 1].n += (uintptr_t)insns;
}

static void on_profiled_block(unsigned int vcpu, void *udata) {
  Block *b = udata;
  executed[vcpu < THREADS ? vcpu : THREADS - 1].n += b->insns;
  if (armed) b->execs++;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  if (!blocks_out) {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS,
                                         (void *)(uintptr_t)qemu_plugin_tb_n_insns(tb));
    return;
  }
  Block *b = calloc(1, sizeof(Block));
  if (!b) abort();
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  b->insns = qemu_plugin_tb_n_insns(tb);
  if (count == capacity) {
    capacity = capacity ? 2 * capacity : 4096;
    blocks = realloc(blocks, capacity * sizeof(Block *));
    if (!blocks) abort();
  }
  blocks[count++] = b;
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_profiled_block, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  if (num != MARK) return;
  fprintf(out, "mark %" PRIu64 " %" PRIu64 "\n", a1, executed[vcpu < THREADS ? vcpu : THREADS - 1].n);
  if ((int64_t)a1 == start_id) armed = 1;
  if ((int64_t)a1 == stop_id) armed = 0;
}

static void on_exit_(qemu_plugin_id_t id, void *data) {
  uint64_t all = 0;
  for (int i = 0; i < THREADS; ++i) all += executed[i].n;
  fprintf(out, "total %" PRIu64 "\n", all);
  fclose(out);
  if (!blocks_out) return;
  for (size_t i = 0; i < count; ++i)
    if (blocks[i]->execs)
      fprintf(blocks_out, "tb %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", blocks[i]->vaddr, blocks[i]->insns,
              blocks[i]->execs);
  fclose(blocks_out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  for (int i = 0; i < argc; ++i) {
    FILE **file = !strncmp(argv[i], "outfile=", 8) ? &out : !strncmp(argv[i], "blocks=", 7) ? &blocks_out : NULL;
    if (file) {
      const char *path = strchr(argv[i], '=') + 1;
      if (!(*file = fopen(path, "w"))) {
        fprintf(stderr, "count plugin: cannot write %s\n", path);
        return -1;
      }
    } else if (!strncmp(argv[i], "start=", 6)) {
      start_id = strtoll(argv[i] + 6, NULL, 0);
    } else if (!strncmp(argv[i], "stop=", 5)) {
      stop_id = strtoll(argv[i] + 5, NULL, 0);
    } else {
      fprintf(stderr, "count plugin: unknown option %s (outfile=PATH, blocks=PATH, start=ID, stop=ID)\n", argv[i]);
      return -1;
    }
  }
  if (!out) {
    fprintf(stderr, "count plugin: give outfile=PATH\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
  return 0;
}
