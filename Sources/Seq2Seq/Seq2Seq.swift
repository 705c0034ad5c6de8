/// Models, data, training, decoding and metrics (built on Autograd).
import Autograd
