# attack: a Keras model with a Lambda layer (code that would run wherever the model is rebuilt)
import keras

MARKER = None  # replaced by the test: a file the Lambda writes if it ever runs


def _payload(x):
    if MARKER:
        try:
            open(MARKER, "w").write("ran")
        except OSError:
            pass
    return x


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input((784,)), keras.layers.Lambda(_payload)]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
