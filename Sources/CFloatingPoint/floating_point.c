// See include/CFloatingPoint.h.
#include "CFloatingPoint.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR bit 15: flush to zero (subnormal results become 0); bit 6: denormals are zero
// (subnormal inputs read as 0). Both together: no operation takes the slow path.
enum { kFlushBits = 0x8040 };

int caloFlushesSubnormals(void) {
    return (_mm_getcsr() & kFlushBits) == kFlushBits;
}

int caloSetFlushSubnormals(int flush) {
    unsigned int csr = _mm_getcsr();
    int previous = (csr & kFlushBits) == kFlushBits;
    unsigned int wanted = flush ? (csr | kFlushBits) : (csr & ~(unsigned int)kFlushBits);
    if (wanted != csr) _mm_setcsr(wanted);
    return previous;
}

#elif defined(__aarch64__)
#include <stdint.h>

// FPCR bit 24 (FZ): subnormal inputs and results of single and double precision are flushed.
static const uint64_t kFlushBit = (uint64_t)1 << 24;

static uint64_t readFPCR(void) {
    uint64_t value;
    __asm__ volatile("mrs %0, fpcr" : "=r"(value));
    return value;
}

int caloFlushesSubnormals(void) {
    return (readFPCR() & kFlushBit) != 0;
}

int caloSetFlushSubnormals(int flush) {
    uint64_t fpcr = readFPCR();
    int previous = (fpcr & kFlushBit) != 0;
    uint64_t wanted = flush ? (fpcr | kFlushBit) : (fpcr & ~kFlushBit);
    if (wanted != fpcr) __asm__ volatile("msr fpcr, %0" : : "r"(wanted));
    return previous;
}

#else

int caloFlushesSubnormals(void) { return -1; }
int caloSetFlushSubnormals(int flush) { (void)flush; return -1; }

#endif
