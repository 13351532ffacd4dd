// The last write of an inference convolution, shared by convolution.c and winograd.c: inline, so
// that each kernel path's functions compile it for their own vector width.
#ifndef CAMLAB_FINISH_H
#define CAMLAB_FINISH_H

#include <stdbool.h>

/// target[p] = (source[p] + b) + residual[p], then (value > 0 ? value : 0) when `relu`, as
/// Tensor.relu() computes it; residual may be NULL and target may be source.
__attribute__((always_inline)) static inline void finish_row(const float *source, float b, const float *residual,
                                                             bool relu, float *target, long count) {
    if (residual) {
        for (long p = 0; p < count; p++) {
            const float value = (source[p] + b) + residual[p];
            target[p] = !relu || value > 0 ? value : 0;
        }
    } else if (relu) {
        for (long p = 0; p < count; p++) {
            const float value = source[p] + b;
            target[p] = value > 0 ? value : 0;
        }
    } else {
        for (long p = 0; p < count; p++) target[p] = source[p] + b;
    }
}

#endif
