// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_msg32.c - libFuzzer harness for rk_bp_msg32_read(): a hostile
 * 32-bit program's struct msghdr, iovecs and control messages, as the
 * --bypass4netns delegate reads them (src/parent/bypass_delegate.c).
 *
 * The input is copied to memory below 4 GiB and read back from this very
 * process.  So that the fuzzer reaches past the first pointer, the
 * msghdr's name, iov and control fields and the first iovec bases are
 * taken as offsets into that memory (arbitrary values would almost always
 * fault); lengths and the control bytes are the fuzzer's as they are.
 * SCM_RIGHTS fds are taken from this process (an fd that is not open
 * gives EBADF).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parent/bypass_int.h"

#define AREA	65536

static uint8_t *area;
static int self;

static uint32_t rebase(uint32_t v)
{
	return (uint32_t)(uintptr_t)area + v % AREA;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct rk_bp_job j = { 0 };
	struct rk_bp_msg m;
	uint32_t f[7], iovlen, iov;

	if (!area) {
		area = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		self = (int)syscall(SYS_pidfd_open, getpid(), 0);
		if (area == MAP_FAILED || self < 0)
			abort();
	}
	if (n < sizeof(f) || n > AREA)
		return 0;
	memset(area, 0, AREA);
	memcpy(area, in, n);
	memcpy(f, area, sizeof(f));
	/* name, iov, control: offsets into the area */
	f[0] = f[0] ? rebase(f[0]) : 0;
	f[2] = rebase(f[2]);
	f[4] = f[4] ? rebase(f[4]) : 0;
	memcpy(area, f, sizeof(f));
	iov = f[2] - (uint32_t)(uintptr_t)area;
	iovlen = f[3] < 16 ? f[3] : 16;
	for (uint32_t i = 0; i < iovlen && iov + 8 * i + 8 <= AREA; i++) {
		uint32_t base;

		memcpy(&base, area + iov + 8 * i, 4);
		base = rebase(base);
		memcpy(area + iov + 8 * i, &base, 4);
	}
	j.tid = getpid();
	j.pidfd = self;
	rk_bp_msg32_read(&j, (uintptr_t)area, &m);
	rk_bp_msg32_free(&m);
	return 0;
}
