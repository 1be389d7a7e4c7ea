package dev.gemma4j.model;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One named weight: its element type, its shape (row-major, outermost first: a linear layer is
 * [out, in]) and its little-endian bytes. For a {@link Checkpoint} the bytes are a read-only slice
 * of a memory-mapped file and stay valid until the checkpoint is closed.
 *
 * @param name  the Hugging Face tensor name, e.g. {@code model.layers.3.self_attn.q_proj.weight}
 * @param dtype element type
 * @param shape dimensions, outermost first (copied in and out)
 * @param data  exactly {@code dtype.byteSize(elementCount())} bytes (a quantized tensor's rows are
 *              whole blocks)
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    /** @throws IllegalArgumentException when a dimension is negative or the byte size disagrees with dtype x shape */
    public Tensor {
        shape = shape.clone();
        long expected = byteSize(name, dtype, shape);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, the data holds " + data.byteSize());
        }
    }

    /**
     * A tensor holding {@code values} rounded to {@code dtype} (to nearest, ties to even), in a fresh
     * heap segment.
     */
    public static Tensor of(String name, DType dtype, long[] shape, float[] values) {
        if (dtype.quantized()) throw new IllegalArgumentException("tensor '" + name + "': " + dtype
                + " tensors are read from files, not made from floats");
        MemorySegment data = MemorySegment.ofArray(new byte[Math.toIntExact(byteSize(name, dtype, shape))]);
        if (values.length * (long) dtype.bytes() != data.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                    + data.byteSize() / dtype.bytes() + " elements, " + values.length + " values given");
        }
        for (int i = 0; i < values.length; i++) dtype.write(data, i, values[i]);
        return new Tensor(name, dtype, shape, data);
    }

    /** Bytes that dtype x shape occupy; a quantized tensor's rows (last dimension) are whole blocks. */
    static long byteSize(String name, DType dtype, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
                    + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        if (dtype.quantized() && (shape.length == 0 || shape[shape.length - 1] % dtype.blockSize() != 0)) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " rows of shape "
                    + Arrays.toString(shape) + " are not a whole number of blocks of " + dtype.blockSize());
        }
        return dtype.byteSize(n);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** Product of the dimensions. */
    public long elementCount() {
        return data.byteSize() / dtype.blockBytes() * dtype.blockSize();
    }

    /** Element {@code index} in row-major order, widened exactly to float (dequantized). */
    public float getFloat(long index) {
        return dtype.read(data, index);
    }

    /** Rows of a 2-D tensor (its first dimension: out_features for a linear layer). */
    public long rows() {
        requireMatrix();
        return shape[0];
    }

    /** Columns of a 2-D tensor (its second dimension: in_features for a linear layer). */
    public long cols() {
        requireMatrix();
        return shape[1];
    }

    /** All elements widened to float, for tensors of at most 2^31 - 1 elements (norm weights, tests). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = dtype.read(data, i);
        return out;
    }

    private void requireMatrix() {
        if (shape.length != 2) {
            throw new IllegalStateException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected 2 dimensions");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "Tensor[" + name + ", " + dtype + ", " + Arrays.toString(shape) + ", " + data.byteSize() + " bytes]";
    }
}
