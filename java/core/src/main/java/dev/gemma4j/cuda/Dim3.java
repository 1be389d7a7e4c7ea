package dev.gemma4j.cuda;

/** A CUDA grid size: x in [1, 2^31 - 1], y and z in [1, 65535]. */
record Dim3(int x, int y, int z) {
    static final int MAX_Y_Z = 65535;

    /** @throws IllegalArgumentException when a dimension is out of CUDA's range */
    Dim3 {
        if (x < 1) throw new IllegalArgumentException("grid x must be in [1, 2147483647], found " + x);
        if (y < 1 || y > MAX_Y_Z) throw new IllegalArgumentException("grid y must be in [1, 65535], found " + y);
        if (z < 1 || z > MAX_Y_Z) throw new IllegalArgumentException("grid z must be in [1, 65535], found " + z);
    }

    static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }

    static Dim3 of(int x, int y) {
        return new Dim3(x, y, 1);
    }

    @Override
    public String toString() {
        return "(" + x + ", " + y + ", " + z + ")";
    }
}
