package io.balistreams.bali;

/** What the network's output means (docs/method.md §3, §5). */
public enum Task {
    /** One real target, Gaussian likelihood N(y; z_L, σ²_y) with σ²_y learned or fixed. */
    REGRESSION,
    /** K classes, categorical likelihood softmax(z_L). */
    CLASSIFICATION
}
