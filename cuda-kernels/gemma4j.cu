// The single translation unit compiled into gemma4j.fatbin: nvcc --fatbin takes one source file,
// so every kernel family is included here. Each family stays in its own file.
#include "embedding.cu"
#include "rmsnorm.cu"
#include "rope.cu"
#include "geglu.cu"
#include "attention.cu"
#include "attention_prefill_mma.cu"
#include "attention_decode_vector.cu"
#include "convert.cu"
#include "sampling.cu"
#include "synthetic.cu"
#include "gemv.cu"
#include "softcap.cu"
