package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;

/** Unit types of a dense layer. SOFTMAX is for output layers only (its gradient comes from the loss). */
public enum Activation {
    SIGMOID,
    TANH,
    RELU,
    LINEAR,
    SOFTMAX;

    /** a = f(a) in place: a holds the pre-activation on entry. */
    public void forwardInPlace(Backend be, Matrix a) {
        switch (this) {
            case SIGMOID: be.sigmoid(a, a); break;
            case TANH: be.tanh(a, a); break;
            case RELU: be.relu(a, a); break;
            case SOFTMAX: be.softmax(a, a); break;
            case LINEAR: break;
            default: throw new AssertionError(this);
        }
    }

    /** d = f'(.) * d in place, from the layer's output y. Not defined for SOFTMAX (use the loss gradient). */
    public void backwardInPlace(Backend be, Matrix y, Matrix d) {
        switch (this) {
            case SIGMOID: be.sigmoidBackward(y, d, d); break;
            case TANH: be.tanhBackward(y, d, d); break;
            case RELU: be.reluBackward(y, d, d); break;
            case LINEAR: break;
            case SOFTMAX:
                throw new IllegalStateException("softmax is only an output activation; its gradient comes from the loss");
            default: throw new AssertionError(this);
        }
    }
}
