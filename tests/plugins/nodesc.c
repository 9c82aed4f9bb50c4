/* SPDX-License-Identifier: MIT */
/* nodesc.c - a shared object that is no plugin: it exports no descriptor. */
int nodesc_something(void);

int nodesc_something(void)
{
	return 42;
}
