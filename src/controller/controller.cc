#include "controller/controller.h"
