"""Hidden checks of lesson 2 that students see once the grades are published."""

import numpy as np

from grader.check import check
from grader.expect import expect_array, expect_close

VISIBILITY = "after_published"


@check("predict(0, W, b) is b (shown after publishing)", points=1,
       hint="predict is W * x + b: at x = 0 only b is left.", grades="predict")
def test_hidden_predict_at_zero(learner, seed):
    label = "predict(x, W, b) with x = [0, 1], W = [2], b = [3]"
    value = learner.run("lesson2_linear_regression:predict", label=label, seed=seed,
                        x=np.array([0.0, 1.0], np.float32), W=np.array([2.0], np.float32),
                        b=np.array([3.0], np.float32), as_variables=True)
    expect_close(expect_array(value, label=label), np.array([3.0, 5.0]), label=label)
