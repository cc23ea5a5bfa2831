// fsx: a file-system exerciser in the spirit of the classic fsx of xfstests and LTP (written anew
// here). It runs a seeded random sequence of operations on one file through several descriptors
// and checks every byte it reads against a model of what the file must hold:
//
//   write / read        pwrite and pread on two read-write descriptors (one reopened now and then)
//   append              write on an O_APPEND descriptor
//   direct read / write pread and pwrite on an O_DIRECT descriptor (aligned), past the page cache
//   truncate            ftruncate, shrinking and growing
//   punch / zero        fallocate PUNCH_HOLE, ZERO_RANGE (with and without KEEP_SIZE)
//   allocate            fallocate 0 and KEEP_SIZE (size grows, or nothing visible changes)
//   copy in / copy self copy_file_range from a second file, and between ranges of the file itself
//   map read / map write mmap MAP_SHARED of a range inside the file
//   fsync, reopen       fsync; close and open again (a flush, then a fresh open)
//
// After every operation the descriptor's size must be the model's. At the end the whole file is
// read back through a fresh descriptor (and O_DIRECT where the file system takes it).
//
// Offsets cluster around the places a block store splits data: the start of the file, block
// boundaries (-b, default 4 MiB, JuiceFS's default block size), the 64 MiB chunk boundary when the
// file may reach it (-l), and the current end of file.
//
// -S FILE saves what the file must hold at the end, so it can be compared again later (after a
// remount, say) with cmp.
//
// Output: one JSON line on stdout with the operations done and the ones the file system refused
// (EOPNOTSUPP; EINVAL for an O_DIRECT write): they are then skipped. A mismatch prints the
// operation, the first differing offset and the last operations to stderr and exits 1; a failing
// system call exits 2.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define CHUNK (64L * MIB)
#define DIRECT_ALIGN 4096L
#define HISTORY 48

enum op {
  OP_WRITE, OP_READ, OP_APPEND, OP_DIRECT_READ, OP_DIRECT_WRITE, OP_TRUNCATE, OP_PUNCH, OP_ZERO, OP_ALLOCATE,
  OP_COPY_IN, OP_COPY_SELF, OP_MAP_READ, OP_MAP_WRITE, OP_FSYNC, OP_REOPEN, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
  "write", "read", "append", "direct read", "direct write", "truncate", "punch", "zero", "allocate",
  "copy in", "copy self", "map read", "map write", "fsync", "reopen",
};
// Relative frequencies: data operations most, the rest often enough to interleave with them.
static const int op_weights[OP_COUNT] = { 22, 18, 4, 8, 4, 6, 5, 4, 3, 5, 3, 5, 5, 3, 3 };

static const char *path;
static char aux_path[4096];
static long max_len = 16 * MIB;     // -l: the file never grows past this
static long max_op = 2 * MIB;       // -o: the longest single operation
static long block = 4 * MIB;        // -b: where block boundaries fall
static long ops = 3000;             // -n
static uint64_t seed = 1;           // -s
static const char *save_path;       // -S

static unsigned char *good;         // the model: what the file holds, zeros past `size`
static long size;
static unsigned char *aux_good;     // the second file, copy_file_range's source
static long aux_size = 8 * MIB;
static unsigned char *scratch;      // bytes written, and bytes read back (aligned for O_DIRECT)

static int fd_a = -1, fd_b = -1, fd_append = -1, fd_direct = -1, fd_aux = -1;
static long counts[OP_COUNT];
static int unsupported[OP_COUNT];
static long op_no;
static char history[HISTORY][160];

static uint64_t rng_state;
static uint64_t rnd(void) {
  // xorshift64*: fast, seeded, the same sequence on every machine.
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static long below(long n) { return n <= 0 ? 0 : (long)(rnd() % (uint64_t)n); }

static void note(const char *fmt, ...) {
  char *line = history[op_no % HISTORY];
  int n = snprintf(line, sizeof history[0], "%6ld ", op_no);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof history[0] - (size_t)n, fmt, ap);
  va_end(ap);
}

static void dump_history(void) {
  fprintf(stderr, "last operations (newest last):\n");
  long first = op_no - HISTORY + 1 < 0 ? 0 : op_no - HISTORY + 1;
  for (long i = first; i <= op_no; i++) fprintf(stderr, "  %s\n", history[i % HISTORY]);
}

static void fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fsx: operation %ld: ", op_no);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (seed %" PRIu64 ", file %s)\n", seed, path);
  va_end(ap);
  dump_history();
  exit(code);
}

static void sys_fail(const char *what) { fail(2, "%s failed: %s", what, strerror(errno)); }

/** Compare `n` bytes read at `off` (`got`) with the model; `how` names the read. */
static void check_bytes(const char *how, long off, const unsigned char *got, long n) {
  if (memcmp(got, good + off, (size_t)n) == 0) return;
  long i = 0;
  while (got[i] == good[off + i]) i++;
  long end = i;
  while (end < n && got[end] != good[off + end]) end++;
  fprintf(stderr, "fsx: %s of %ld bytes at %ld: bytes %ld..%ld differ (file size %ld)\n", how, n, off, off + i, off + end - 1, size);
  fprintf(stderr, "  expected:");
  for (long k = i; k < i + 16 && k < n; k++) fprintf(stderr, " %02x", good[off + k]);
  fprintf(stderr, "\n  got:     ");
  for (long k = i; k < i + 16 && k < n; k++) fprintf(stderr, " %02x", got[k]);
  fprintf(stderr, "\n");
  fail(1, "%s returned wrong data", how);
}

static void check_size(void) {
  struct stat st;
  if (fstat(fd_a, &st) != 0) sys_fail("fstat");
  if (st.st_size != size) fail(1, "size is %ld, expected %ld", (long)st.st_size, size);
}

static void fill_random(unsigned char *p, long n) {
  for (long i = 0; i < n; i += 8) {
    uint64_t v = rnd();
    memcpy(p + i, &v, (size_t)(n - i < 8 ? n - i : 8));
  }
}

/** An offset in [0, limit): uniform, or near the start, a block or chunk boundary, or the end. */
static long pick_offset(long limit) {
  if (limit <= 0) return 0;
  long off;
  switch (below(8)) {
    case 0: off = below(65536); break;
    case 1: case 2: off = below(limit / block + 1) * block + below(16384) - 8192; break;
    case 3: off = max_len > CHUNK ? CHUNK + below(131072) - 65536 : below(limit); break;
    case 4: off = size + below(131072) - 65536; break;
    default: off = below(limit); break;
  }
  if (off < 0) off = 0;
  return off >= limit ? limit - 1 : off;
}

static long pick_length(void) {
  switch (below(10)) {
    case 0: case 1: case 2: case 3: case 4: return 1 + below(4096);
    case 5: case 6: case 7: return 1 + below(256 * 1024 < max_op ? 256 * 1024 : max_op);
    default: return 1 + below(max_op);
  }
}

static void pwrite_all(int fd, const unsigned char *p, long n, long off, const char *what) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, (size_t)n, off);
    if (w < 0) sys_fail(what);
    p += w, n -= w, off += w;
  }
}

static long pread_all(int fd, unsigned char *p, long n, long off, const char *what) {
  long got = 0;
  while (got < n) {
    ssize_t r = pread(fd, p + got, (size_t)(n - got), off + got);
    if (r < 0) sys_fail(what);
    if (r == 0) break;
    got += r;
  }
  return got;
}

static int open_or_die(const char *p, int flags) {
  int fd = open(p, flags, 0644);
  if (fd < 0) sys_fail(p);
  return fd;
}

/** Apply a write of `n` bytes at `off` to the model. */
static void model_write(long off, const unsigned char *p, long n) {
  memcpy(good + off, p, (size_t)n);
  if (off + n > size) size = off + n;
}

static void model_zero(long off, long n) {
  long end = off + n < size ? off + n : size;
  if (end > off) memset(good + off, 0, (size_t)(end - off));
}

/** True when fallocate may not be supported: remember it and skip the operation from now on. */
static int refused(enum op o) {
  if (errno != EOPNOTSUPP) return 0;
  unsupported[o] = 1;
  note("%s: EOPNOTSUPP, skipped from now on", op_names[o]);
  return 1;
}

static void do_write(void) {
  long off = pick_offset(max_len), n = pick_length();
  if (off + n > max_len) n = max_len - off;
  int fd = below(2) ? fd_a : fd_b;
  fill_random(scratch, n);
  note("write %ld at %ld (fd %s)", n, off, fd == fd_a ? "a" : "b");
  pwrite_all(fd, scratch, n, off, "pwrite");
  model_write(off, scratch, n);
}

static void do_read(void) {
  long off = pick_offset(size + 65536), n = pick_length();
  int fd = below(2) ? fd_a : fd_b;
  note("read %ld at %ld (fd %s)", n, off, fd == fd_a ? "a" : "b");
  long want = off >= size ? 0 : (off + n > size ? size - off : n);
  long got = pread_all(fd, scratch, n, off, "pread");
  if (got != want) fail(1, "read of %ld at %ld returned %ld bytes, expected %ld", n, off, got, want);
  check_bytes("read", off, scratch, got);
}

static void do_append(void) {
  long n = pick_length();
  if (size + n > max_len) return;
  fill_random(scratch, n);
  note("append %ld at %ld", n, size);
  long done = 0;
  while (done < n) {
    ssize_t w = write(fd_append, scratch + done, (size_t)(n - done));
    if (w < 0) sys_fail("append");
    done += w;
  }
  model_write(size, scratch, n);
}

static void do_direct_read(void) {
  long off = pick_offset(size + 65536) / DIRECT_ALIGN * DIRECT_ALIGN;
  long n = (pick_length() + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN;
  note("direct read %ld at %ld", n, off);
  long want = off >= size ? 0 : (off + n > size ? size - off : n);
  long got = pread_all(fd_direct, scratch, n, off, "O_DIRECT pread");
  if (got != want) fail(1, "O_DIRECT read of %ld at %ld returned %ld bytes, expected %ld", n, off, got, want);
  check_bytes("O_DIRECT read", off, scratch, got);
}

static void do_direct_write(void) {
  long off = pick_offset(max_len) / DIRECT_ALIGN * DIRECT_ALIGN;
  long n = (pick_length() + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN;
  if (off + n > max_len) n = (max_len - off) / DIRECT_ALIGN * DIRECT_ALIGN;
  if (n <= 0) return;
  fill_random(scratch, n);
  note("direct write %ld at %ld", n, off);
  ssize_t w = pwrite(fd_direct, scratch, (size_t)n, off);
  // A server that hands the kernel's unaligned buffers to an O_DIRECT file of its own gets EINVAL
  // (libfuse's passthrough_ll): reported as refused, like EOPNOTSUPP.
  if (w < 0 && errno == EINVAL) {
    unsupported[OP_DIRECT_WRITE] = 1;
    note("direct write: EINVAL, skipped from now on");
    return;
  }
  if (w < 0) sys_fail("O_DIRECT pwrite");
  if (w < n) pwrite_all(fd_direct, scratch + w, n - w, off + w, "O_DIRECT pwrite");
  model_write(off, scratch, n);
}

static void do_truncate(void) {
  long to = below(3) == 0 ? pick_offset(max_len) : below(size + 1 + max_op / 4);
  if (to > max_len) to = max_len;
  note("truncate %ld -> %ld", size, to);
  if (ftruncate(below(2) ? fd_a : fd_b, to) != 0) sys_fail("ftruncate");
  if (to < size) memset(good + to, 0, (size_t)(size - to));
  size = to;
}

static void do_punch(void) {
  long off = pick_offset(size + 1), n = pick_length();
  note("punch %ld at %ld", n, off);
  if (fallocate(fd_a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n) != 0) {
    if (refused(OP_PUNCH)) return;
    sys_fail("fallocate(PUNCH_HOLE)");
  }
  model_zero(off, n);
}

static void do_zero(void) {
  long off = pick_offset(size + 65536 < max_len ? size + 65536 : max_len), n = pick_length();
  if (off + n > max_len) n = max_len - off;
  int keep = (int)below(2);
  note("zero %ld at %ld%s", n, off, keep ? " keep size" : "");
  if (fallocate(fd_a, FALLOC_FL_ZERO_RANGE | (keep ? FALLOC_FL_KEEP_SIZE : 0), off, n) != 0) {
    if (refused(OP_ZERO)) return;
    sys_fail("fallocate(ZERO_RANGE)");
  }
  model_zero(off, n);
  if (!keep && off + n > size) size = off + n;
}

static void do_allocate(void) {
  long off = pick_offset(max_len), n = pick_length();
  if (off + n > max_len) n = max_len - off;
  int keep = (int)below(2);
  note("allocate %ld at %ld%s", n, off, keep ? " keep size" : "");
  if (fallocate(fd_a, keep ? FALLOC_FL_KEEP_SIZE : 0, off, n) != 0) {
    if (refused(OP_ALLOCATE)) return;
    sys_fail("fallocate");
  }
  if (!keep && off + n > size) size = off + n;
}

/** copy_file_range until `n` bytes moved or the source ends; returns the bytes moved. */
static long copy_range(int from, long src, int to, long dst, long n) {
  long done = 0;
  while (done < n) {
    loff_t in = src + done, out = dst + done;
    ssize_t c = copy_file_range(from, &in, to, &out, (size_t)(n - done), 0);
    if (c < 0) sys_fail("copy_file_range");
    if (c == 0) break;
    done += c;
  }
  return done;
}

static void do_copy_in(void) {
  long src = below(aux_size), dst = pick_offset(max_len), n = pick_length();
  if (dst + n > max_len) n = max_len - dst;
  note("copy in %ld from %ld to %ld", n, src, dst);
  long want = src + n > aux_size ? aux_size - src : n;
  long moved = copy_range(fd_aux, src, fd_a, dst, n);
  if (moved != want) fail(1, "copy_file_range of %ld from %ld moved %ld bytes, expected %ld", n, src, moved, want);
  model_write(dst, aux_good + src, moved);
}

static void do_copy_self(void) {
  if (size < 2) return;
  long n = pick_length();
  if (n > size / 2) n = size / 2;
  long src = below(size - n + 1), dst = pick_offset(max_len);
  if (dst + n > max_len) dst = max_len - n;
  // The two ranges of one file must not overlap (EINVAL): move the destination past the source.
  if (dst < src + n && src < dst + n) {
    dst = src + n;
    if (dst + n > max_len) return;
  }
  note("copy self %ld from %ld to %ld", n, src, dst);
  long moved = copy_range(fd_a, src, fd_b, dst, n);
  if (moved != n) fail(1, "copy_file_range within the file moved %ld bytes, expected %ld", moved, n);
  memmove(scratch, good + src, (size_t)n);
  model_write(dst, scratch, n);
}

/** Map [off, off+n) of the file (page-aligned underneath); returns the address of `off`. */
static unsigned char *map_range(long off, long n, int prot, void **base, size_t *len) {
  long page = sysconf(_SC_PAGESIZE), start = off / page * page;
  *len = (size_t)(off + n - start);
  *base = mmap(NULL, *len, prot, MAP_SHARED, fd_a, start);
  if (*base == MAP_FAILED) sys_fail("mmap");
  return (unsigned char *)*base + (off - start);
}

static void do_map_read(void) {
  if (size == 0) return;
  long off = below(size), n = pick_length();
  if (off + n > size) n = size - off;
  note("map read %ld at %ld", n, off);
  void *base;
  size_t len;
  unsigned char *p = map_range(off, n, PROT_READ, &base, &len);
  memcpy(scratch, p, (size_t)n);
  if (munmap(base, len) != 0) sys_fail("munmap");
  check_bytes("mmap read", off, scratch, n);
}

static void do_map_write(void) {
  if (size == 0) return;
  long off = below(size), n = pick_length();
  if (off + n > size) n = size - off;
  int sync = (int)below(2);
  note("map write %ld at %ld%s", n, off, sync ? " msync" : "");
  fill_random(scratch, n);
  void *base;
  size_t len;
  unsigned char *p = map_range(off, n, PROT_READ | PROT_WRITE, &base, &len);
  memcpy(p, scratch, (size_t)n);
  if (sync && msync(base, len, MS_SYNC) != 0) sys_fail("msync");
  if (munmap(base, len) != 0) sys_fail("munmap");
  model_write(off, scratch, n);
}

static void do_fsync(void) {
  note("fsync");
  if (fsync(below(2) ? fd_a : fd_b) != 0) sys_fail("fsync");
}

static void do_reopen(void) {
  note("reopen");
  if (close(fd_b) != 0) sys_fail("close");
  fd_b = open_or_die(path, O_RDWR);
}

static void verify_whole(const char *how, int fd) {
  // A length in whole O_DIRECT units, one past the end: the read must stop at the end of file.
  long got = pread_all(fd, scratch, (size / DIRECT_ALIGN + 1) * DIRECT_ALIGN, 0, how);
  if (got != size) fail(1, "%s read %ld bytes of a %ld-byte file", how, got, size);
  check_bytes(how, 0, scratch, got);
}

static void usage(void) {
  fprintf(stderr, "usage: fsx [-n OPS] [-s SEED] [-l MAX_FILE_BYTES] [-o MAX_OP_BYTES] [-b BLOCK_BYTES] [-S SAVE_FILE] FILE\n");
  exit(2);
}

int main(int argc, char **argv) {
  int c;
  while ((c = getopt(argc, argv, "n:s:l:o:b:S:")) != -1) {
    switch (c) {
      case 'n': ops = atol(optarg); break;
      case 's': seed = strtoull(optarg, NULL, 10); break;
      case 'l': max_len = atol(optarg); break;
      case 'o': max_op = atol(optarg); break;
      case 'b': block = atol(optarg); break;
      case 'S': save_path = optarg; break;
      default: usage();
    }
  }
  if (optind != argc - 1 || max_len <= 0 || max_op <= 0 || block <= 0 || ops < 0) usage();
  path = argv[optind];
  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  snprintf(aux_path, sizeof aux_path, "%s.src", path);

  good = calloc((size_t)max_len + (size_t)max_op, 1);
  aux_good = malloc((size_t)aux_size);
  if (good == NULL || aux_good == NULL) sys_fail("malloc");
  if (posix_memalign((void **)&scratch, DIRECT_ALIGN, (size_t)(max_len + max_op + DIRECT_ALIGN)) != 0) sys_fail("posix_memalign");

  fd_aux = open_or_die(aux_path, O_RDWR | O_CREAT | O_TRUNC);
  fill_random(aux_good, aux_size);
  pwrite_all(fd_aux, aux_good, aux_size, 0, "write of the source file");
  fd_a = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
  fd_b = open_or_die(path, O_RDWR);
  fd_append = open_or_die(path, O_WRONLY | O_APPEND);
  fd_direct = open(path, O_RDWR | O_DIRECT);
  if (fd_direct < 0 && errno != EINVAL) sys_fail("open O_DIRECT");
  if (fd_direct < 0) unsupported[OP_DIRECT_READ] = unsupported[OP_DIRECT_WRITE] = 1;

  int total_weight = 0;
  for (int o = 0; o < OP_COUNT; o++) total_weight += op_weights[o];
  for (op_no = 0; op_no < ops; op_no++) {
    long w = below(total_weight);
    enum op o = 0;
    while (w >= op_weights[o]) w -= op_weights[o++];
    if (unsupported[o]) o = OP_READ;
    switch (o) {
      case OP_WRITE: do_write(); break;
      case OP_READ: do_read(); break;
      case OP_APPEND: do_append(); break;
      case OP_DIRECT_READ: do_direct_read(); break;
      case OP_DIRECT_WRITE: do_direct_write(); break;
      case OP_TRUNCATE: do_truncate(); break;
      case OP_PUNCH: do_punch(); break;
      case OP_ZERO: do_zero(); break;
      case OP_ALLOCATE: do_allocate(); break;
      case OP_COPY_IN: do_copy_in(); break;
      case OP_COPY_SELF: do_copy_self(); break;
      case OP_MAP_READ: do_map_read(); break;
      case OP_MAP_WRITE: do_map_write(); break;
      case OP_FSYNC: do_fsync(); break;
      case OP_REOPEN: do_reopen(); break;
      default: break;
    }
    counts[o]++;
    check_size();
  }

  note("final check");
  if (close(fd_a) || close(fd_b) || close(fd_append)) sys_fail("close");
  if (fd_direct >= 0 && close(fd_direct)) sys_fail("close");
  int fd = open_or_die(path, O_RDONLY);
  verify_whole("final read", fd);
  close(fd);
  fd = open(path, O_RDONLY | O_DIRECT);
  if (fd >= 0) {
    verify_whole("final O_DIRECT read", fd);
    close(fd);
  }
  close(fd_aux);
  unlink(aux_path);
  if (save_path != NULL) {
    int out = open_or_die(save_path, O_WRONLY | O_CREAT | O_TRUNC);
    pwrite_all(out, good, size, 0, "write of the saved model");
    if (close(out) != 0) sys_fail("close of the saved model");
  }

  printf("{\"seed\":%" PRIu64 ",\"ops\":%ld,\"size\":%ld,\"counts\":{", seed, ops, size);
  for (int o = 0; o < OP_COUNT; o++) printf("%s\"%s\":%ld", o ? "," : "", op_names[o], counts[o]);
  printf("},\"unsupported\":[");
  int first = 1;
  for (int o = 0; o < OP_COUNT; o++) {
    if (!unsupported[o]) continue;
    printf("%s\"%s\"", first ? "" : ",", op_names[o]);
    first = 0;
  }
  printf("]}\n");
  return 0;
}
