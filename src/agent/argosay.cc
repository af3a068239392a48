#include "agent/argosay.h"
