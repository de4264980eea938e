; Inno Setup 6 script: Windows installer from the one-folder bundle dist\InkLift (built by the spec on Windows).
;   iscc /DAppVersion=0.1.0 packaging\windows\inklift.iss      -> dist\InkLift-0.1.0-windows-x64-setup.exe
; Not runnable on the Linux development machine; .github/workflows/bundle.yml runs it on windows-latest.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "InkLift"
#define SrcDir "..\..\dist\InkLift"

[Setup]
AppId={{6B1C9E02-3F4A-4E8B-9D2E-1A7F5C3B8E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=InkLift developers
AppPublisherURL=https://example.org/inklift
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default (no admin prompt); users may choose all-users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=InkLift-{#AppVersion}-windows-x64-setup
SetupIconFile=inklift.ico
UninstallDisplayIcon={app}\InkLift.exe
LicenseFile=..\..\NOTICE
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole bundle: InkLift.exe (GUI), inklift-cli.exe (console: --smoke-test, --cli), _internal\, NOTICE, licenses\
Source: "{#SrcDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\InkLift.exe"
Name: "{group}\{#AppName} licences"; Filename: "{app}\licenses\INDEX.txt"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\InkLift.exe"; Tasks: desktopicon

[Registry]
; "Open with InkLift" for photos.
Root: HKA; Subkey: "Software\Classes\Applications\InkLift.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\InkLift.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\InkLift.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\InkLift.exe\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\InkLift.exe"" ""%1"""

[Run]
Filename: "{app}\InkLift.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
