/* A stand-in for the SecuGen FDx SDK Pro library with the functions the secugen driver
 * calls. A "finger" is put on the sensor by writing its name as a line to the file named
 * by SGSTUB_FINGERS (one line is taken per capture); the template of a finger is its name
 * padded to 400 bytes, and two templates score 199 when equal, 10 otherwise.
 * SGSTUB_NO_DEVICE makes OpenDevice answer "device not found" (55). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef unsigned int DWORD;
typedef unsigned short WORD;
typedef unsigned char BYTE;
typedef int BOOL;

#define WIDTH 260
#define HEIGHT 300
#define TEMPLATE_SIZE 400

typedef struct {
    DWORD DeviceID; BYTE DeviceSN[16]; DWORD ComPort; DWORD ComSpeed; DWORD ImageWidth; DWORD ImageHeight;
    DWORD Contrast; DWORD Brightness; DWORD Gain; DWORD ImageDPI; DWORD FWVersion;
} SGDeviceInfoParam;

typedef struct { WORD FingerNumber; WORD ViewNumber; WORD ImpressionType; WORD ImageQuality; } SGFingerInfo;

static int handle_storage;

DWORD SGFPM_Create(void **handle) { *handle = &handle_storage; return 0; }
DWORD SGFPM_Terminate(void *handle) { return 0; }
DWORD SGFPM_Init(void *handle, DWORD dev) { return 0; }
DWORD SGFPM_OpenDevice(void *handle, DWORD id) { return getenv("SGSTUB_NO_DEVICE") ? 55 : 0; }
DWORD SGFPM_CloseDevice(void *handle) { return 0; }
DWORD SGFPM_SetTemplateFormat(void *handle, WORD format) { return format == 0x0100 ? 0 : 3; }

DWORD SGFPM_GetDeviceInfo(void *handle, SGDeviceInfoParam *info) {
    memset(info, 0, sizeof *info);
    info->ImageWidth = WIDTH;
    info->ImageHeight = HEIGHT;
    info->ImageDPI = 500;
    return 0;
}

/* Take the first line of the fingers file (rewriting the rest). */
static int next_finger(char *name, size_t size) {
    const char *path = getenv("SGSTUB_FINGERS");
    if (!path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char rest[65536];
    size_t n = fread(rest, 1, sizeof rest - 1, f);
    fclose(f);
    rest[n] = 0;
    char *newline = strchr(rest, '\n');
    if (!newline) return 0;
    *newline = 0;
    strncpy(name, rest, size - 1);
    name[size - 1] = 0;
    f = fopen(path, "w");
    if (f) { fputs(newline + 1, f); fclose(f); }
    return name[0] != 0;
}

DWORD SGFPM_GetImageEx(void *handle, BYTE *buffer, DWORD timeout, void *window, DWORD quality) {
    char name[64];
    if (!next_finger(name, sizeof name)) {
        usleep((timeout < 100 ? timeout : 100) * 1000);
        return 54; /* time out */
    }
    memset(buffer, 0, WIDTH * HEIGHT);
    memcpy(buffer, name, strlen(name));
    return strcmp(name, "smudge") == 0 ? 57 : 0;
}

DWORD SGFPM_GetImageQuality(void *handle, DWORD w, DWORD h, BYTE *image, DWORD *quality) { *quality = 80; return 0; }
DWORD SGFPM_GetMaxTemplateSize(void *handle, DWORD *size) { *size = TEMPLATE_SIZE; return 0; }

DWORD SGFPM_CreateTemplate(void *handle, SGFingerInfo *info, BYTE *image, BYTE *template_) {
    memset(template_, 0, TEMPLATE_SIZE);
    memcpy(template_, "ANSI378:", 8);
    memcpy(template_ + 8, image, 64);
    return 0;
}

DWORD SGFPM_GetTemplateSize(void *handle, BYTE *template_, DWORD *size) { *size = TEMPLATE_SIZE; return 0; }

DWORD SGFPM_GetMatchingScore(void *handle, BYTE *a, BYTE *b, DWORD *score) {
    *score = memcmp(a, b, TEMPLATE_SIZE) == 0 ? 199 : 10;
    return 0;
}
